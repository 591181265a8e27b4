/**
 * Retrying an action that adds a way into the account after the user confirms who they are.
 * Such actions answer 403 `REAUTHENTICATION_REQUIRED` once the session's sign-in is older than
 * the server's window (docs/security.md, "Recent authentication"); the page then asks for a
 * proof (`POST /users/me/reauthenticate`) and tries the action again — once, so a server that
 * keeps refusing shows its answer instead of asking forever. No DOM here: the prompt is passed in.
 */
import { APIError } from './api.js';

/** Whether `error` is the API asking for a recent authentication. */
export function needsReauthentication(error: unknown): boolean {
  return error instanceof APIError && error.status === 403 && error.code === 'REAUTHENTICATION_REQUIRED';
}

/** The user closed the prompt: nothing was changed, and the action is not tried again. */
export class ReauthenticationCancelled extends Error {
  constructor() {
    super('Nothing was changed: confirm who you are to add a way to sign in.');
    this.name = 'ReauthenticationCancelled';
  }
}

/**
 * Runs `action`; when it answers REAUTHENTICATION_REQUIRED, awaits `confirm` (which resolves
 * once the session is re-authenticated, or rejects, e.g. with {@link ReauthenticationCancelled})
 * and runs `action` a second and last time. Any other error passes through untouched.
 */
export async function withReauthentication<T>(action: () => Promise<T>, confirm: () => Promise<void>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!needsReauthentication(error)) throw error;
  }
  await confirm();
  return action();
}
