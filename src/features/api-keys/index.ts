import type { FastifyPluginAsync } from 'fastify';
import { type ApiKeyRoutesOptions, apiKeyRoutes } from './routes.js';

/** What the API key capability needs of the kernel: what its routes take. */
export type ApiKeyFeatureOptions = ApiKeyRoutesOptions;

/**
 * API keys (docs/api-keys.md), as one sub-plugin: the routes to make, list and revoke them. The
 * guard admits keys through the resolver the plugin registers with `ApiKeyService.resolve`.
 */
export const apiKeyFeature: FastifyPluginAsync<ApiKeyFeatureOptions> = async (app, options) => {
  await app.register(apiKeyRoutes, options);
};
