import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { Throttle } from '../../core/throttle.js';
import type { User } from '../../core/user.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import { totpRoutes } from './routes.js';
import type { TwoFactorService } from './two-factor.js';

/** What the TOTP capability needs of the kernel. */
export interface TOTPFeatureOptions {
  twoFactor: TwoFactorService;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
  /** Mails the user that TOTP is on (docs/security.md). */
  credentialAdded: (user: User, credential: AddedCredential) => void;
}

/**
 * TOTP and recovery codes (docs/two-factor.md), as one sub-plugin: its routes. Sign-in asks it
 * for the second factor through the kernel's `SecondFactor` interface, which `TwoFactorService`
 * implements; nothing in the kernel imports this folder.
 */
export const totpFeature: FastifyPluginAsync<TOTPFeatureOptions> = async (app, options) => {
  await app.register(totpRoutes, options);
};
