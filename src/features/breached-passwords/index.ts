import type { FastifyPluginAsync } from 'fastify';
import type { PasswordScreen } from '../../core/password-screen.js';
import { breachedPasswordScreen } from './breached-screen.js';
import type { ResolvedBreachedPasswords } from './options.js';

/** What the breached-passwords capability needs of the kernel: a place to register its check. */
export interface BreachedPasswordsFeatureOptions {
  auth: { addPasswordScreen(screen: PasswordScreen): void };
  config: ResolvedBreachedPasswords;
}

/**
 * Breached-password checks (docs/breached-passwords.md), as one sub-plugin: it registers a
 * {@link PasswordScreen} on the kernel, which applies it wherever a password is set
 * (registration, reset, change). Nothing in the kernel imports this folder.
 */
export const breachedPasswordsFeature: FastifyPluginAsync<BreachedPasswordsFeatureOptions> = async (app, options) => {
  options.auth.addPasswordScreen(breachedPasswordScreen(options.config, app.log));
};
