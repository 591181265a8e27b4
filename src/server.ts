import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { ConfigError } from './core/errors.js';
import { parseRolePermissions, type RolePermissions } from './features/organizations/roles.js';
import { breachedPasswordsFromSettings, type BreachedPasswordsOptions } from './features/breached-passwords/options.js';
import type { OAuthServerOptions } from './features/oauth-server/options.js';
import { oauthProvidersFromEnv, type OAuthProviderOptions } from './features/oauth-client/oauth-providers.js';
import { checkArgon2Cost, type AuthOptions } from './core/options.js';
import { DEFAULT_ARGON2 } from './core/password.js';
import { missingDocsPackages, registerOpenAPI } from './http/openapi.js';
import { DEFAULT_BODY_LIMIT, fastifyUsers, type FastifyUsersOptions } from './http/plugin.js';
import { resolvePluginOptions } from './http/plugin-options.js';
import { createClientErrorHandler, createFrameworkErrorHandler, notFoundHandler } from './http/framework-errors.js';
import { handleError } from './http/reply-error.js';
import { LOG_REDACTION } from './http/log-redaction.js';
import { deferredChildLoggerFactory, OneLinePerRequest } from './http/request-logger.js';
import { DEFAULT_REDIS_KEY_PREFIX } from './store/redis/defaults.js';
import { DEFAULT_MAIL_FROM } from './core/mail.js';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PORT,
  LOG_LEVELS,
  optionsFromEnvironment,
  readSetting,
  settingOf,
  variableOfOption,
} from './settings.js';
import { DEFAULT_PG_POOL_SIZE } from './store/sql/database.js';
import { SQLStore } from './store/sql/sql-store.js';
import type { CounterStore } from './core/store.js';
import { helmetHeaders, registerSecurityHeaders } from './http/security-headers.js';
import type { SessionChannel } from './store/session-channel.js';
import { registerWebPage } from './http/web-page.js';
import { createSMTPMailer } from './mail/smtp-mailer.js';
import { importOptional } from './optional-packages.js';

/** Everything the server reads from the environment, typed and validated. */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  /** PostgreSQL connections per process (`DATABASE_POOL_SIZE`); default 10. */
  databasePoolSize: number;
  redisUrl: string | undefined;
  /** Prefix of every Redis key (`REDIS_KEY_PREFIX`); default `fastify-users:`. */
  redisKeyPrefix: string;
  logLevel: string;
  production: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The plugin options read from the environment, the provider's (`OAUTH_SERVER*`) among them. */
  auth: AuthOptions & { oauthServer?: OAuthServerOptions };
  /** Identity providers (`OAUTH_PROVIDERS`, `OAUTH_<N>_*`); none when unset. */
  oauthProviders: OAuthProviderOptions[] | undefined;
  /** Breached-password checks (`BREACHED_PASSWORDS`, `BREACHED_PASSWORDS_API_URL`); off when unset. */
  breachedPasswords: BreachedPasswordsOptions | undefined;
  /** Organization role permissions (`ORG_ROLE_PERMISSIONS`); the defaults when unset. */
  roles: RolePermissions | undefined;
}

/**
 * Renames an option's {@link ConfigError} after the environment variable it comes from
 * (`databaseUrl` → `DATABASE_URL`), so the operator reads the name they set.
 */
export function namedForEnvironment(error: ConfigError): ConfigError {
  const variable = variableOfOption(error.key);
  return variable === undefined ? error : new ConfigError(variable, error.message.replace(`${error.key}: `, ''));
}

/**
 * Reads the settings declared in src/settings.ts from the environment. The only reader of
 * `process.env` in the project; a bad value is a {@link ConfigError} naming the variable.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const read = (name: string) => readSetting(env, settingOf(name));
  const port = (read('PORT') as number | undefined) ?? DEFAULT_PORT;
  if (port > 65535) throw new ConfigError('PORT', 'must be at most 65535');
  const host = (read('HOST') as string | undefined) ?? DEFAULT_HOST;
  const production = env.NODE_ENV === 'production';
  const auth = optionsFromEnvironment(env) as AuthOptions & { databaseUrl?: string; oauthServer?: OAuthServerOptions };
  if (production && auth.secretKey === undefined) throw new ConfigError('SECRET_KEY', 'is required when NODE_ENV=production');
  const logLevel = (read('LOG_LEVEL') as string | undefined) ?? DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const databasePoolSize = (read('DATABASE_POOL_SIZE') as number | undefined) ?? DEFAULT_PG_POOL_SIZE;
  if (databasePoolSize < 1) throw new ConfigError('DATABASE_POOL_SIZE', 'must be at least 1');

  // Cheap hashes keep the test suites fast; only there. The library's own rule, checked here
  // too so that `migrate` and the other commands refuse a weak setting as well.
  if (env.NODE_ENV === 'test') auth.unsafeArgon2ForTests = true;
  else if (auth.argon2 !== undefined) {
    try {
      checkArgon2Cost({ ...DEFAULT_ARGON2, ...auth.argon2 }, auth.argon2);
    } catch (error) {
      throw error instanceof ConfigError ? namedForEnvironment(error) : error;
    }
  }
  const { databaseUrl, ...authOptions } = auth;
  // The issuer is a name clients pin (OpenID Connect Discovery §4.3): never guessed from HOST and PORT.
  if (authOptions.oauthServer?.enabled && authOptions.publicUrl === undefined)
    throw new ConfigError('PUBLIC_URL', 'is required with OAUTH_SERVER=on: it is the issuer');
  authOptions.publicUrl ??= `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    port,
    host,
    databaseUrl: databaseUrl ?? DEFAULT_DATABASE_URL,
    databasePoolSize,
    redisUrl: read('REDIS_URL') as string | undefined,
    // Taken as given: an empty prefix is a choice.
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? DEFAULT_REDIS_KEY_PREFIX,
    logLevel,
    production,
    smtpUrl: read('SMTP_URL') as string | undefined,
    mailFrom: (read('MAIL_FROM') as string | undefined) ?? DEFAULT_MAIL_FROM,
    oauthProviders: oauthProvidersFromEnv(env),
    breachedPasswords: breachedPasswordsFromSettings(
      read('BREACHED_PASSWORDS') as string | undefined,
      read('BREACHED_PASSWORDS_API_URL') as string | undefined,
    ),
    roles: rolesFromSetting(read('ORG_ROLE_PERMISSIONS') as string | undefined),
    auth: authOptions,
  };
}

function rolesFromSetting(json: string | undefined): RolePermissions | undefined {
  return json === undefined || json.trim() === '' ? undefined : parseRolePermissions(json);
}

/**
 * The request as logged: Fastify's default fields, with the query string's values hidden — a
 * client may put a token or password there (RFC 6750 §2.3 warns URLs end up in logs), and
 * pino's path redaction cannot reach inside a string.
 */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  // The URL as the client sent it: a mounted handler (our OAuth provider's engine) may rewrite `url`.
  const url = typeof request.originalUrl === 'string' ? request.originalUrl : typeof request.url === 'string' ? request.url : '';
  const query = url.indexOf('?');
  return {
    method: request.method,
    url: query === -1 ? url : `${url.slice(0, query)}?[redacted]`,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * Standard output, written asynchronously. pino's default destination writes every line with a
 * blocking `write(2)`: at LOG_LEVEL=info that is two system calls per request ("incoming request",
 * "request completed"), the largest single cost of a request under load (docs/BENCHMARKS.md,
 * "Deployment setup"). Asynchronous, a line is handed to the kernel at once when no write is in
 * flight, and lines that arrive meanwhile go out together in the next one — same lines, same
 * order, no added delay at low load. pino flushes what is pending synchronously when the process
 * exits, an uncaught exception included (pino's docs, "Asynchronous logging"); only a SIGKILL can
 * lose the lines of the last write in flight.
 */
function logDestination() {
  return pino.destination({ dest: 1, sync: false });
}

/** Test and embedding hooks for {@link buildServer}. */
export interface BuildServerOverrides {
  /** Replaces the logger configuration entirely (e.g. `false`). */
  logger?: boolean | object;
  /** Keeps the configured logger (level, redaction) but writes to this stream, e.g. to capture logs in a test. */
  logStream?: { write(line: string): void };
}

/** Builds the whole service (routes, docs, error format) from a config; does not listen. */
export async function buildServer(config: ServerConfig, overrides: BuildServerOverrides = {}): Promise<FastifyInstance> {
  const securityHeaders = helmetHeaders();
  const app = Fastify({
    logger: overrides.logger ?? {
      level: config.logLevel,
      ...LOG_REDACTION,
      serializers: { req: serializeRequest },
      stream: overrides.logStream ?? logDestination(),
    },
    // Each request's pino child is made when it first logs (src/http/request-logger.ts).
    ...(overrides.logger === false ? {} : { childLoggerFactory: deferredChildLoggerFactory }),
    // One request line at info ("request completed", with the request's fields), the arrival at debug.
    logController: new OneLinePerRequest(),
    bodyLimit: DEFAULT_BODY_LIMIT,
    // X-Forwarded-For is believed only from the listed proxies (docs/security.md); otherwise the socket address.
    trustProxy: config.auth.trustedProxies && config.auth.trustedProxies.length > 0 ? config.auth.trustedProxies : false,
    // Refuse, rather than strip, prototype-poisoning keys in JSON (docs/security.md, "Bad input").
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: false },
    // Router errors (a malformed or over-long path) and what Node's HTTP parser refuses answer in
    // our format with the security headers, which no hook adds to them (docs/security-hardening.md).
    frameworkErrors: createFrameworkErrorHandler({ headers: securityHeaders }),
    clientErrorHandler: createClientErrorHandler({ headers: securityHeaders }),
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFoundHandler);
  try {
    // Helmet first, so its headers are on every response, refusals and 404s included.
    await registerSecurityHeaders(app);
    // The API docs need two optional peer dependencies; without them the service runs undocumented.
    const missingDocs = missingDocsPackages();
    if (missingDocs.length === 0) await registerOpenAPI(app);
    else app.log.warn(`/docs and /openapi.json are off: npm install ${missingDocs.join(' ')} to serve them`);
    // The library requires a key while TOTP is on (it seals TOTP secrets); in development the
    // server makes one per process and says what that costs (production refuses to start without).
    let secretKey = config.auth.secretKey;
    if (secretKey === undefined) {
      secretKey = randomBytes(32).toString('base64url');
      app.log.warn(
        'SECRET_KEY is not set: using a random key for this process (development only). CSRF tokens, and the TOTP secrets of every second factor enrolled now, will not survive a restart: those users could no longer sign in with their authenticator app',
      );
    }
    // Every option is checked before the database is opened (a bad one creates no SQLite file).
    const pluginOptions = {
      ...config.auth,
      secretKey,
      logMailBody: !config.production,
      oauthProviders: config.oauthProviders,
      breachedPasswords: config.breachedPasswords,
      roles: config.roles as FastifyUsersOptions['roles'],
      oauthFailurePage: '/',
    } satisfies FastifyUsersOptions;
    const settings = resolvePluginOptions(app, { ...pluginOptions, databaseUrl: config.databaseUrl });
    // Closed in reverse order of opening once in-flight requests have drained (app.close()).
    const store = await SQLStore.open(config.databaseUrl, { poolSize: config.databasePoolSize });
    app.addHook('onClose', async () => store.close());
    // Without Redis the plugin keeps its own in-memory counters (one instance).
    const counters = config.redisUrl ? await openRedisCounters(app, config) : undefined;
    if (counters) app.addHook('onClose', async () => counters.close());
    // SMTP when SMTP_URL is set; otherwise the plugin logs each mail, with its body (and so the
    // link) only outside production, because logs must never hold a token (OWASP Logging CS).
    const mailer = config.smtpUrl ? await createSMTPMailer({ url: config.smtpUrl, from: config.mailFrom }) : undefined;
    // With REDIS_URL, session changes travel on Redis pub/sub (docs/session-cache.md); otherwise
    // on the database's own channel, which the plugin opens.
    const sessionChannel = config.redisUrl && store.dialect === 'postgres' ? await openRedisSessionChannel(app, config) : undefined;
    // A failed provider sign-in in a browser lands on the web page, which explains the code.
    await app.register(fastifyUsers, { ...pluginOptions, store, counters, mailer, sessionChannel });
    await registerWebPage(app, { csrfCookieName: settings.auth.csrfCookieName });
    await app.ready();
  } catch (error) {
    await app.close().catch(() => {});
    throw error instanceof ConfigError ? namedForEnvironment(error) : error;
  }
  return app;
}

/** The session cache's channel on Redis; connection problems are logged once per outage. */
export async function openRedisSessionChannel(
  app: FastifyInstance | undefined,
  config: Pick<ServerConfig, 'redisUrl' | 'redisKeyPrefix'>,
): Promise<SessionChannel> {
  const { RedisSessionChannel } = await import('./store/redis/redis-session-channel.js');
  let reported = false;
  return new RedisSessionChannel(config.redisUrl!, {
    keyPrefix: config.redisKeyPrefix,
    onError: (err) => {
      if (!reported) app?.log.warn({ err: { message: err.message } }, 'redis unavailable; sessions are read from the database until it returns');
      reported = true;
    },
  });
}

/**
 * Connects the shared counters. A Redis that is down at start does not stop the service: the
 * client keeps reconnecting and, meanwhile, counter calls fail closed (503) — see docs/operations.md,
 * "Health, shutdown and outages".
 */
async function openRedisCounters(app: FastifyInstance, config: ServerConfig): Promise<CounterStore> {
  let reported = false;
  // Loaded only when REDIS_URL is set: ioredis is a tenth of a second of start-up otherwise, and
  // an optional peer dependency an install for one instance does not need.
  const { RedisCounterStore } = await importOptional('ioredis', 'REDIS_URL', 'redis://', () => import('./store/redis/redis-counters.js'));
  const counters = new RedisCounterStore(config.redisUrl!, {
    keyPrefix: config.redisKeyPrefix,
    onError: (err) => {
      // One warning per outage, not one per reconnection attempt.
      if (!reported) app.log.warn({ err: { message: err.message } }, 'redis unavailable; throttled routes answer 503 until it returns');
      reported = true;
    },
  });
  counters.client.on('ready', () => {
    if (reported) app.log.info('redis connection restored');
    reported = false;
  });
  await counters.waitUntilReady();
  return counters;
}
