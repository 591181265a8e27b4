import type { FastifyPluginAsync } from 'fastify';
import { type PasskeyRoutesOptions, passkeyRoutes } from './routes.js';

/** What the passkey capability needs of the kernel: what its routes take. */
export type PasskeyFeatureOptions = PasskeyRoutesOptions;

/** Passkeys (docs/two-factor.md), as one sub-plugin: registration, listing, deletion and sign-in. */
export const passkeyFeature: FastifyPluginAsync<PasskeyFeatureOptions> = async (app, options) => {
  await app.register(passkeyRoutes, options);
};
