import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { kResourceMetadata } from '../../http/request-state.js';

/** Where RFC 9728 §3 puts a resource's metadata: under `/.well-known/` at the root of its identifier. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/** This server as an OAuth protected resource (docs/resource-server.md). */
export interface ProtectedResource {
  /** The resource identifier (RFC 8707, RFC 9728 §2): `publicUrl`, the audience of the access tokens we accept. */
  resource: string;
  /** Our own provider's issuer: the one authorization server whose tokens we accept. */
  issuer: string;
  /** The scopes a client can ask for to call us. */
  scopes: readonly string[];
}

const ProtectedResourceMetadata = Type.Object(
  {
    resource: Type.String({ format: 'uri', description: 'The resource identifier: the audience of the access tokens this server accepts.' }),
    authorization_servers: Type.Array(Type.String({ format: 'uri' }), { description: 'The issuer of this server’s OAuth provider.' }),
    scopes_supported: Type.Array(Type.String()),
    bearer_methods_supported: Type.Array(Type.Literal('header'), { description: 'Access tokens are sent in the Authorization header only.' }),
  },
  { additionalProperties: false },
);

/** The metadata URL every Bearer challenge names (RFC 9728 §5.1): `<resource>/.well-known/oauth-protected-resource`. */
export function resourceMetadataURL(resource: string): string {
  return `${resource.replace(/\/+$/, '')}${PROTECTED_RESOURCE_PATH}`;
}

/**
 * `GET /.well-known/oauth-protected-resource` (RFC 9728 §3), at the app's root as the provider's
 * discovery documents are, and `resource_metadata` in every Bearer challenge from then on (reply-error.ts):
 * the discovery an MCP client follows from a 401 to our authorization server.
 */
export function registerProtectedResource(app: FastifyInstance, resource: ProtectedResource): void {
  const metadata = {
    resource: resource.resource,
    authorization_servers: [resource.issuer],
    scopes_supported: [...resource.scopes],
    bearer_methods_supported: ['header'] as const,
  };
  app.decorate(kResourceMetadata, resourceMetadataURL(resource.resource));
  app.get(
    PROTECTED_RESOURCE_PATH,
    {
      // Public, unauthenticated and the same for everyone: browser-based clients read it cross-origin.
      config: { browserProtections: false },
      schema: {
        tags: ['oauth-server'],
        operationId: 'getProtectedResourceMetadata',
        summary: 'OAuth protected resource metadata (RFC 9728)',
        security: [],
        description:
          'Names the authorization server whose access tokens this server accepts, and the scopes. Every 401 links here in `WWW-Authenticate: Bearer resource_metadata="…"`.',
        response: { 200: ProtectedResourceMetadata },
      },
    },
    (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(metadata);
    },
  );
}
