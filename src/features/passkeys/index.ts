import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import type { Throttle } from '../../core/throttle.js';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { User } from '../../core/user.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import type { PasskeyService } from './passkeys.js';
import { passkeyRoutes } from './routes.js';

/** What the passkey capability needs of the kernel. */
export interface PasskeyFeatureOptions {
  service: AuthService;
  passkeys: PasskeyService;
  signIn: SignInPipeline;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
  /** Recent authentication, asked before a passkey is added (docs/security.md). */
  recent: RecentAuthentication;
  /** Mails the user about a passkey just added. */
  credentialAdded: (user: User, credential: AddedCredential) => void;
}

/** Passkeys (docs/two-factor.md), as one sub-plugin: registration, listing, deletion and sign-in. */
export const passkeyFeature: FastifyPluginAsync<PasskeyFeatureOptions> = async (app, options) => {
  await app.register(passkeyRoutes, options);
};
