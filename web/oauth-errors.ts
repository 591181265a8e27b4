/**
 * The failure codes a provider sign-in can bring back to the page (`/#oauth_error=<CODE>`, set by
 * the server for browser navigations; docs/oauth.md) and what each means to the user. Pure: no DOM.
 */

const MESSAGES: Record<string, string> = {
  OAUTH_STATE_INVALID: 'The sign-in expired or was started in another window or session. Please start it again.',
  OAUTH_CALLBACK_FAILED: 'The provider did not confirm the sign-in (it may have been cancelled). Please try again.',
  OAUTH_USER_ALREADY_EXISTS: 'An account with this email already exists. Log in with your password, then link the provider from your profile.',
  OAUTH_EMAIL_NOT_VERIFIED: 'The provider has not verified your email address. Verify it there and try again, or register with a password.',
  OAUTH_ACCOUNT_ALREADY_LINKED: 'That provider account is already linked to another account here.',
  OAUTH_PROVIDER_UNAVAILABLE: 'The provider cannot be reached right now. Please try again in a moment.',
  OAUTH_UNKNOWN_PROVIDER: 'That sign-in provider is not available.',
  LOGIN_BAD_CREDENTIALS: 'This account cannot sign in.',
  TOO_MANY_REQUESTS: 'Too many attempts. Please wait a while and try again.',
};

/** The code in a `#oauth_error=<CODE>` fragment, or null for any other fragment. */
export function oauthErrorCode(hash: string): string | null {
  const match = /^#?oauth_error=([A-Z_]{1,64})$/.exec(hash);
  return match ? match[1]! : null;
}

/** A sentence for a failure code; unknown codes get a general one (the code is not echoed). */
export function oauthErrorMessage(code: string): string {
  return MESSAGES[code] ?? 'The sign-in did not succeed. Please try again.';
}

/** "github" → "GitHub", "google" → "Google", "corp-sso" → "Corp Sso": a label for a button. */
export function providerLabel(name: string): string {
  if (name === 'github') return 'GitHub';
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}
