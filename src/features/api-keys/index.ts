import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { CredentialResolver, CredentialResolvers } from '../../core/credentials.js';
import { ApiKeyService, looksLikeApiKey } from './api-keys.js';
import type { OrganizationService } from '../organizations/organizations.js';
import { orgApiKeyRoutes } from './org-routes.js';
import { apiKeyRoutes, type ApiKeyRoutesOptions } from './routes.js';

/** What the API key capability needs of the kernel. */
export interface ApiKeyFeatureOptions extends Omit<ApiKeyRoutesOptions, 'apiKeys'> {
  /** The kernel's service: its store (with the session cache's choke point) and its cache. */
  service: AuthService;
  /** Where the guard's resolvers are registered: API keys become a credential `app.authenticate` admits. */
  credentials: CredentialResolvers;
  /** Organizations, when on: their admins make keys for them (`/orgs/{id}/api-keys`). */
  organizations: OrganizationService | undefined;
}

/**
 * The resolver the guard asks for a credential that is not one of our session tokens: a key sent
 * as `Authorization: Bearer fu_…` or `X-API-Key: fu_…` (docs/api-keys.md). Anything not shaped
 * like our keys is declined, for the next resolver.
 */
export function apiKeyResolver(apiKeys: ApiKeyService): CredentialResolver {
  return {
    name: 'api_key',
    resolve: ({ bearer, apiKey }) => {
      const value = bearer !== undefined && looksLikeApiKey(bearer) ? bearer : apiKey;
      return value === undefined ? undefined : apiKeys.resolve(value);
    },
  };
}

/** API keys (docs/api-keys.md), as one sub-plugin: the credential the guard admits, and the routes to make, list and revoke keys. */
export const apiKeyFeature: FastifyPluginAsync<ApiKeyFeatureOptions> = async (app, { service, credentials, organizations, ...routes }) => {
  const apiKeys = new ApiKeyService(service.store, service.sessions, service.options.now);
  credentials.register(apiKeyResolver(apiKeys));
  await app.register(apiKeyRoutes, { ...routes, apiKeys });
  if (organizations) await app.register(orgApiKeyRoutes, { ...routes, apiKeys, organizations });
};
