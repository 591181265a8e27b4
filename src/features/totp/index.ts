import type { FastifyPluginAsync } from 'fastify';
import { type TOTPRoutesOptions, totpRoutes } from './routes.js';

/** What the TOTP capability needs of the kernel: what its routes take. */
export type TOTPFeatureOptions = TOTPRoutesOptions;

/**
 * TOTP and recovery codes (docs/two-factor.md), as one sub-plugin: its routes. Sign-in asks it
 * for the second factor through the kernel's `SecondFactor` interface, which `TwoFactorService`
 * implements; nothing in the kernel imports this folder.
 */
export const totpFeature: FastifyPluginAsync<TOTPFeatureOptions> = async (app, options) => {
  await app.register(totpRoutes, options);
};
