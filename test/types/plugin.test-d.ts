/**
 * Type tests of the plugin's declarations (docs/testing.md, "Type tests"): type-checked by
 * `npm run typecheck` against the sources, and by scripts/ci-package.sh against the package's
 * rolled-up .d.ts (the imports rewritten to `fastify-users`). Each `@ts-expect-error` line fails
 * the check as soon as a declaration loosens enough to accept it; nothing here runs.
 */
import Fastify, { type preHandlerAsyncHookHandler } from 'fastify';
import {
  AuthError,
  ConfigError,
  fastifyUsers,
  type ErrorCode,
  type FastifyUsersOptions,
  type FastifyUsersServices,
  type PublicUser,
  type AuthSession,
  type Session,
} from '../../src/index.js';
import { buildServer, readConfig, type ServerConfig } from '../../src/server.js';

/** True only when `A` and `B` are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

export async function pluginTypes(): Promise<void> {
  const app = Fastify();

  // Options: typed, checked at the call site.
  await app.register(fastifyUsers, { databaseUrl: 'sqlite::memory:', routePrefix: '/auth', accessTokenLifetime: 3600, browserProtections: 'plugin-routes' });
  // @ts-expect-error -- a number of seconds, not a string
  await app.register(fastifyUsers, { databaseUrl: 'sqlite::memory:', accessTokenLifetime: '3600' });
  // @ts-expect-error -- only the two documented scopes
  await app.register(fastifyUsers, { databaseUrl: 'sqlite::memory:', browserProtections: 'everywhere' });
  const options: FastifyUsersOptions = { databaseUrl: 'sqlite::memory:', cookieSecure: true };
  // @ts-expect-error -- a misspelt option is not silently ignored
  const misspelt: FastifyUsersOptions = { databaseURL: 'sqlite::memory:' };
  // @ts-expect-error -- argon2 takes its three parameters, not a string
  const badArgon2: FastifyUsersOptions = { argon2: 'fast' };
  void [options, misspelt, badArgon2];

  // app.authenticate: a preHandler, and nothing looser.
  expectType<Equal<typeof app.authenticate, preHandlerAsyncHookHandler>>();
  // @ts-expect-error -- a hook takes the request and the reply
  await app.authenticate();

  // app.fastifyUsers: the services, by name.
  expectType<Equal<typeof app.fastifyUsers, FastifyUsersServices>>();
  const guard: preHandlerAsyncHookHandler = app.fastifyUsers.guard({ superuser: true });
  // @ts-expect-error -- superuser is a boolean
  app.fastifyUsers.guard({ superuser: 'yes' });
  const scoped: preHandlerAsyncHookHandler = app.requireScopes('notes:read', 'notes:write');
  app.fastifyUsers.guard({ firstParty: true, scopes: ['notes:read'] });
  app.fastifyUsers.registerCredentialResolver({ name: 'mine', resolve: ({ bearer, apiKey }) => ((bearer ?? apiKey) ? null : undefined) });
  // @ts-expect-error -- a resolver admits a delegated credential only, never a first-party session
  app.fastifyUsers.registerCredentialResolver({ name: 'bad', resolve: () => ({ kind: 'session', user: null as never, digest: '' }) });
  app.get('/scoped', { config: { requireScopes: ['notes:read'] } }, async () => ({}));
  // @ts-expect-error -- scopes are a list of names
  app.get('/scoped-bad', { config: { requireScopes: 'notes:read' } }, async () => ({}));
  void scoped;
  // @ts-expect-error -- no service of that name
  void app.fastifyUsers.users;
  await app.fastifyUsers.mailOutbox.drain();

  app.get('/me', { preHandler: app.authenticate }, async (request) => {
    // request.user: exactly the public fields, with their types.
    expectType<Equal<typeof request.user, PublicUser>>();
    expectType<Equal<PublicUser, { id: number; email: string; is_active: boolean; is_superuser: boolean; is_verified: boolean }>>();
    // @ts-expect-error -- a misspelt field
    void request.user.emial;
    // @ts-expect-error -- the password hash is never on request.user
    void request.user.hashedPassword;
    // @ts-expect-error -- nor under fastapi-users' name
    void request.user.hashed_password;
    // @ts-expect-error -- the id is a number
    const id: string = request.user.id;
    const authSession: AuthSession = request.authSession;
    // @ts-expect-error -- only a first-party session has a token digest
    void authSession.digest;
    if (authSession.kind === 'session') {
      const session: Session = authSession;
      void session.digest;
    } else if (authSession.kind === 'provider') {
      const client: string = authSession.clientId;
      const scopes: readonly string[] = authSession.scopes;
      void [client, scopes];
    } else {
      const keyId: string = authSession.keyId;
      const orgId: string | undefined = authSession.orgId;
      void [keyId, orgId];
    }
    void id;
    return { email: request.user.email };
  });

  // Route options: the per-route choice of the browser protections is a boolean.
  app.post('/hook', { config: { browserProtections: false }, preHandler: guard }, async () => ({ ok: true }));
  // @ts-expect-error -- not a string
  app.post('/bad', { config: { browserProtections: 'off' } }, async () => ({ ok: true }));

  // The error registry: codes are a closed union.
  const code: ErrorCode = 'NOT_AUTHENTICATED';
  void new AuthError(code);
  // @ts-expect-error -- an unknown code
  void new AuthError('NO_SUCH_CODE');
  void new ConfigError('databaseUrl', 'message');

  // The server entry.
  const config: ServerConfig = readConfig({ DATABASE_URL: 'sqlite::memory:' });
  const server = await buildServer(config);
  // @ts-expect-error -- the environment is a record of strings
  readConfig({ PORT: 8000 });
  await server.close();
}
