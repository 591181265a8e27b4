import { macFor, verifyMac } from '../../core/keyed-mac.js';

/** Name of the cookie that carries one sign-in flow from `/authorize` to `/callback`. */
export const STATE_COOKIE_NAME = 'fastify_users_oauth';
/** Ten minutes to sign in at the provider, then the flow must start again. */
export const STATE_LIFETIME_SECONDS = 600;

/**
 * What binds a flow to the browser that started it (RFC 9700 §2.1 and §4.7: state, PKCE and
 * nonce tied to the user agent): the values the provider must echo or prove, where to go after,
 * and the session the flow started in. Only a flow started by `POST /oauth/{provider}/link`
 * carries `link: true`; every other flow is a sign-in, whoever is signed in (docs/oauth.md).
 */
export interface FlowState {
  provider: string;
  state: string;
  verifier: string;
  nonce: string;
  next: string;
  /** The public id of the session that started the flow, or `null` when signed out. */
  session: string | null;
  /** True only when that session asked to link an identity (`POST /oauth/{provider}/link`). */
  link: boolean;
  /** Milliseconds since the epoch after which the flow is refused. */
  expiresAt: number;
}

/** The MAC's own label, so no other signature of this key (CSRF tokens) can pass for a flow. */
const PURPOSE = 'oauth-flow!';

/** `<base64url JSON>.<HMAC-SHA256>`, signed with the current secret key. */
export function sealFlowState(flow: FlowState, key: string): string {
  const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
  return `${payload}.${macFor(key, PURPOSE, payload)}`;
}

/** The flow in a cookie, if one of `keys` signed it and it has not expired at `now`; else `null`. */
export function openFlowState(value: string | undefined, keys: readonly string[], now: number): FlowState | null {
  if (typeof value !== 'string' || value.length > 4096) return null;
  const [payload, mac, extra] = value.split('.');
  if (!payload || !mac || extra !== undefined) return null;
  if (!verifyMac(keys, PURPOSE, payload, mac)) return null;
  let flow: FlowState;
  try {
    flow = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as FlowState;
  } catch {
    return null;
  }
  if (typeof flow !== 'object' || flow === null || typeof flow.expiresAt !== 'number' || flow.expiresAt <= now) return null;
  return flow;
}
