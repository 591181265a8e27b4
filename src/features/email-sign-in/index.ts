import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import { EmailSignInService } from './email-sign-in.js';
import { type EmailSignInRoutesOptions, emailSignInRoutes } from './routes.js';

/** What the email sign-in capability needs of the kernel. */
export interface EmailSignInFeatureOptions extends Omit<EmailSignInRoutesOptions, 'emailSignIn' | 'options'> {
  service: AuthService;
  /** Base of the link in the mail: `publicUrl` and the route prefix, never the request's `Host`. */
  linkBase: string;
  /** Whether an address without an account gets one by proving it (`EMAIL_SIGNUP`). */
  signup: boolean;
}

/** Sign-in by a mailed link or code (docs/email-sign-in.md), as one sub-plugin on the kernel's pipeline, store and outbox. */
export const emailSignInFeature: FastifyPluginAsync<EmailSignInFeatureOptions> = async (app, { service, linkBase, signup, ...routes }) => {
  const emailSignIn = new EmailSignInService(service, service.store.emailSignIns, { linkBase, signup });
  await app.register(emailSignInRoutes, { ...routes, options: service.options, emailSignIn });
};
