import type { ResolvedAuthOptions } from '../core/options.js';

/**
 * The cookie that binds a passkey sign-in challenge to one browser: set by
 * `POST /passkeys/login/options`, read by `POST /passkeys/login` and by
 * `POST /users/me/reauthenticate`, so an assertion made for one browser's challenge cannot be
 * played from another.
 */
export function webauthnChallengeCookie(options: ResolvedAuthOptions) {
  return {
    name: `${options.authCookieName}_webauthn`,
    attributes: { path: '/', httpOnly: true, secure: options.cookieSecure, sameSite: 'strict' as const },
  };
}
