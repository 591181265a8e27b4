import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type Provider from 'oidc-provider';
import { Type } from 'typebox';
import { AuthError } from '../../core/errors.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody, NO_CONTROL_CHARACTERS, NoContent } from '../../http/schemas.js';
import type { NewOAuthClient, OAuthClients } from './clients.js';

const TAG = ['oauth-server'];
const ERRORS = { 401: ErrorBody, 403: ErrorBody, 422: ErrorBody };
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;

/** RFC 7591 §2 metadata we accept, plus `first_party`. */
const ClientCreateBody = Type.Object(
  {
    client_name: Type.String({ minLength: 1, maxLength: 200, pattern: NO_CONTROL_CHARACTERS, description: 'Shown to users on the consent page' }),
    redirect_uris: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000, pattern: NO_CONTROL_CHARACTERS }), {
        maxItems: 20,
        description: 'Exact redirect URIs (compared as strings; loopback ports vary for native apps, RFC 8252 §7.3)',
      }),
    ),
    grant_types: Type.Optional(Type.Array(Type.Union(GRANT_TYPES.map((grant) => Type.Literal(grant))), { minItems: 1, maxItems: 4, uniqueItems: true })),
    token_endpoint_auth_method: Type.Optional(
      Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('none')], {
        description: '`none` makes a public client (no secret; PKCE is its proof)',
      }),
    ),
    scope: Type.Optional(
      Type.String({
        maxLength: 1000,
        pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
        description: 'Space-separated scopes the client may ask for',
      }),
    ),
    first_party: Type.Optional(Type.Boolean({ description: 'Our own app: its users are not asked to consent' })),
    application_type: Type.Optional(
      Type.Union([Type.Literal('web'), Type.Literal('native')], {
        description: '`native`: an app on the user’s device; its `http://127.0.0.1` / `http://[::1]` redirect URIs match on any port (RFC 8252 §7.3)',
      }),
    ),
  },
  { additionalProperties: false },
);

const clientFields = {
  client_id: Type.String(),
  client_id_issued_at: Type.Integer(),
  client_name: Type.Optional(Type.String()),
  redirect_uris: Type.Optional(Type.Array(Type.String())),
  grant_types: Type.Optional(Type.Array(Type.String())),
  token_endpoint_auth_method: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  first_party: Type.Boolean(),
  application_type: Type.Optional(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
};
const ClientInfo = Type.Object(clientFields);
const ClientCreated = Type.Object({
  ...clientFields,
  client_secret: Type.Optional(Type.String({ description: 'Shown once, never again: only its digest is kept' })),
  client_secret_expires_at: Type.Optional(Type.Integer({ description: '0: the secret does not expire (RFC 7591 §3.2.1)' })),
});
const ClientIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }) });

export interface OAuthClientRoutesOptions {
  clients: OAuthClients;
  engine: Provider;
  /** Superuser, first-party session. */
  superuser: preHandlerAsyncHookHandler;
}

/** `POST/GET /admin/oauth-clients`, `DELETE /admin/oauth-clients/{id}`: registering our provider's clients (docs/oauth-server.md). */
export const oauthClientRoutes: FastifyPluginAsyncTypebox<OAuthClientRoutesOptions> = async (app, { clients, engine, superuser }) => {
  app.post(
    '/admin/oauth-clients',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'createOAuthClient',
        summary: 'Register an OAuth client (superuser)',
        description:
          'RFC 7591 metadata plus `first_party`. A confidential client gets a `client_secret`, shown in this answer only. Authorization code clients always use PKCE S256.',
        security: SECURITY,
        body: ClientCreateBody,
        response: { 201: ClientCreated, 400: ErrorBody, ...ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const grants = body.grant_types ?? ['authorization_code', 'refresh_token'];
      const input: NewOAuthClient = {
        ...body,
        grant_types: [...grants],
        // The device and client-credentials grants alone take no authorization response.
        response_types: grants.includes('authorization_code') ? ['code'] : [],
        redirect_uris: body.redirect_uris ?? [],
      };
      // The engine's own rules (redirect URIs of the grant, public clients without
      // client_credentials, …), checked before anything is stored: a 400 naming the problem.
      try {
        const candidate = { ...input, client_id: 'validation', ...(input.token_endpoint_auth_method === 'none' ? {} : { client_secret: 'x'.repeat(64) }) };
        await engine.Client.validate(candidate as Parameters<Provider['Client']['validate']>[0]);
      } catch (error) {
        const description = (error as { error_description?: unknown }).error_description;
        throw new AuthError('OAUTH_CLIENT_INVALID', typeof description === 'string' ? description : undefined);
      }
      return reply.code(201).send(await clients.create(input));
    },
  );

  app.get(
    '/admin/oauth-clients',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'listOAuthClients',
        summary: 'List OAuth clients (superuser)',
        security: SECURITY,
        response: { 200: Type.Array(ClientInfo), ...ERRORS },
      },
    },
    async () => clients.list(),
  );

  app.delete(
    '/admin/oauth-clients/:id',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'deleteOAuthClient',
        summary: 'Delete an OAuth client (superuser)',
        description: 'Its codes, grants and tokens die with it.',
        security: SECURITY,
        params: ClientIdParams,
        response: { 204: NoContent, 404: ErrorBody, ...ERRORS },
      },
    },
    async (request, reply) => {
      if (!(await clients.delete(request.params.id))) throw new AuthError('OAUTH_CLIENT_NOT_FOUND');
      return reply.code(204).send(null);
    },
  );
};
