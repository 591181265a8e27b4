import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { ConfigError } from './core/errors.js';
import type { AuthOptions } from './core/options.js';
import { registerOpenAPI } from './http/openapi.js';
import { DEFAULT_BODY_LIMIT, fastifyUsers } from './http/plugin.js';
import { createClientErrorHandler, createFrameworkErrorHandler, notFoundHandler } from './http/framework-errors.js';
import { handleError } from './http/reply-error.js';
import type { Argon2Parameters } from './core/password.js';
import { DEFAULT_REDIS_KEY_PREFIX } from './store/redis/defaults.js';
import { DEFAULT_PG_POOL_SIZE } from './store/sql/database.js';
import { SQLStore } from './store/sql/sql-store.js';
import type { CounterStore } from './store/types.js';
import { helmetHeaders, registerSecurityHeaders } from './http/security-headers.js';
import { registerWebPage } from './http/web-page.js';

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
  auth: AuthOptions;
}

/** Which environment variable each option comes from, so errors name what the operator set. */
const ENV_OF: Record<string, string> = {
  accessTokenLifetime: 'ACCESS_TOKEN_LIFETIME',
  authCookieName: 'AUTH_COOKIE_NAME',
  csrfCookieName: 'CSRF_COOKIE_NAME',
  cookieSecure: 'COOKIE_SECURE',
  secretKey: 'SECRET_KEY',
  secretKeyFallbacks: 'SECRET_KEY_FALLBACKS',
  corsOrigins: 'CORS_ORIGINS',
  publicUrl: 'PUBLIC_URL',
  passwordMinLength: 'PASSWORD_MIN_LENGTH',
  passwordMaxLength: 'PASSWORD_MAX_LENGTH',
  trustedProxies: 'TRUSTED_PROXIES',
  databaseUrl: 'DATABASE_URL',
  'argon2.memoryCost': 'ARGON2_MEMORY_COST',
  'argon2.timeCost': 'ARGON2_TIME_COST',
  'argon2.parallelism': 'ARGON2_PARALLELISM',
  'throttle.enabled': 'THROTTLE_ENABLED',
  'throttle.loginWindowSeconds': 'THROTTLE_LOGIN_WINDOW',
  'throttle.identifierAddressLimit': 'THROTTLE_IDENTIFIER_ADDRESS_LIMIT',
  'throttle.identifierLimit': 'THROTTLE_IDENTIFIER_LIMIT',
  'throttle.addressLimit': 'THROTTLE_ADDRESS_LIMIT',
  'throttle.registerLimit': 'THROTTLE_REGISTER_LIMIT',
  'throttle.registerWindowSeconds': 'THROTTLE_REGISTER_WINDOW',
};

/**
 * Renames an option's {@link ConfigError} after the environment variable it comes from
 * (`databaseUrl` → `DATABASE_URL`), so the operator reads the name they set (SPEC §2).
 */
export function namedForEnvironment(error: ConfigError): ConfigError {
  const variable = ENV_OF[error.key];
  return variable === undefined ? error : new ConfigError(variable, error.message.replace(`${error.key}: `, ''));
}

/**
 * OWASP Password Storage CS's argon2id rows (m=47104/t=1 … m=7168/t=5) all cost at least about
 * 7 MiB × 5 passes; tuning below that is refused outside NODE_ENV=test (where tests and the
 * multi-process suite use cheap hashes to stay fast).
 */
const ARGON2_MIN_MEMORY = 7168;
const ARGON2_MIN_WORK = 7168 * 5;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads SPEC §2's variables. The only reader of `process.env` in the project; a bad value is a
 * {@link ConfigError} naming the variable.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
    return Number(value);
  };
  const boolean = (name: string): boolean | undefined => {
    const value = text(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(name, `must be true or false, got "${value}"`);
  };
  const list = (name: string): string[] | undefined => text(name)?.split(',').map((s) => s.trim()).filter(Boolean);

  const port = integer('PORT') ?? 8000;
  if (port > 65535) throw new ConfigError('PORT', 'must be at most 65535');
  const host = text('HOST') ?? '127.0.0.1';
  const production = env.NODE_ENV === 'production';
  const secretKey = env.SECRET_KEY === undefined || env.SECRET_KEY === '' ? undefined : env.SECRET_KEY;
  if (production && secretKey === undefined) throw new ConfigError('SECRET_KEY', 'is required when NODE_ENV=production');
  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const redisUrl = text('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  const redisKeyPrefix = env.REDIS_KEY_PREFIX ?? DEFAULT_REDIS_KEY_PREFIX;
  const databasePoolSize = integer('DATABASE_POOL_SIZE') ?? DEFAULT_PG_POOL_SIZE;
  if (databasePoolSize < 1) throw new ConfigError('DATABASE_POOL_SIZE', 'must be at least 1');

  const argon2: Partial<Argon2Parameters> = {};
  const memoryCost = integer('ARGON2_MEMORY_COST');
  const timeCost = integer('ARGON2_TIME_COST');
  const parallelism = integer('ARGON2_PARALLELISM');
  if (memoryCost !== undefined) argon2.memoryCost = memoryCost;
  if (timeCost !== undefined) argon2.timeCost = timeCost;
  if (parallelism !== undefined) argon2.parallelism = parallelism;
  if (env.NODE_ENV !== 'test' && (memoryCost !== undefined || timeCost !== undefined)) {
    const m = memoryCost ?? 19456;
    const t = timeCost ?? 2;
    if (m < ARGON2_MIN_MEMORY) throw new ConfigError('ARGON2_MEMORY_COST', `must be at least ${ARGON2_MIN_MEMORY} KiB (OWASP)`);
    if (m * t < ARGON2_MIN_WORK) {
      throw new ConfigError(timeCost !== undefined ? 'ARGON2_TIME_COST' : 'ARGON2_MEMORY_COST', 'memory × time is below OWASP\'s minimum argon2id cost');
    }
  }

  const smtpUrl = text('SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
  const publicUrl = text('PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    port,
    host,
    databaseUrl: text('DATABASE_URL') ?? 'sqlite:data/auth.db',
    databasePoolSize,
    redisUrl,
    redisKeyPrefix,
    logLevel,
    production,
    smtpUrl,
    mailFrom: text('MAIL_FROM') ?? 'no-reply@localhost',
    auth: {
      accessTokenLifetime: integer('ACCESS_TOKEN_LIFETIME'),
      authCookieName: text('AUTH_COOKIE_NAME'),
      csrfCookieName: text('CSRF_COOKIE_NAME'),
      cookieSecure: boolean('COOKIE_SECURE'),
      secretKey,
      secretKeyFallbacks: list('SECRET_KEY_FALLBACKS'),
      corsOrigins: list('CORS_ORIGINS'),
      publicUrl,
      passwordMinLength: integer('PASSWORD_MIN_LENGTH'),
      passwordMaxLength: integer('PASSWORD_MAX_LENGTH'),
      trustedProxies: list('TRUSTED_PROXIES'),
      argon2: Object.keys(argon2).length > 0 ? argon2 : undefined,
      throttle: {
        enabled: boolean('THROTTLE_ENABLED'),
        loginWindowSeconds: integer('THROTTLE_LOGIN_WINDOW'),
        identifierAddressLimit: integer('THROTTLE_IDENTIFIER_ADDRESS_LIMIT'),
        identifierLimit: integer('THROTTLE_IDENTIFIER_LIMIT'),
        addressLimit: integer('THROTTLE_ADDRESS_LIMIT'),
        registerLimit: integer('THROTTLE_REGISTER_LIMIT'),
        registerWindowSeconds: integer('THROTTLE_REGISTER_WINDOW'),
      },
    },
  };
}

/** Paths pino must never print: credentials in headers and bodies (OWASP Logging CS). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrftoken"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.access_token',
  '*.token',
  '*.hashed_password',
  '*.hashedPassword',
];

/**
 * The request as logged: Fastify's default fields, with the query string's values hidden — a
 * client may put a token or password there (RFC 6750 §2.3 warns URLs end up in logs), and
 * pino's path redaction cannot reach inside a string.
 */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  const url = typeof request.url === 'string' ? request.url : '';
  const query = url.indexOf('?');
  return {
    method: request.method,
    url: query === -1 ? url : `${url.slice(0, query)}?[redacted]`,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Test and embedding hooks for {@link buildServer}. */
export interface BuildServerOverrides {
  /** Replaces the logger configuration entirely (e.g. `false`). */
  logger?: boolean | object;
  /** Keeps the configured logger (level, redaction) but writes to this stream, e.g. to capture logs in a test. */
  logStream?: DestinationStream;
}

/** Builds the whole service (routes, docs, error format) from a config; does not listen. */
export async function buildServer(config: ServerConfig, overrides: BuildServerOverrides = {}): Promise<FastifyInstance> {
  const securityHeaders = helmetHeaders();
  const app = Fastify({
    logger: overrides.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
    },
    bodyLimit: DEFAULT_BODY_LIMIT,
    // X-Forwarded-For is believed only from the listed proxies (SPEC §5); otherwise the socket address.
    trustProxy: config.auth.trustedProxies && config.auth.trustedProxies.length > 0 ? config.auth.trustedProxies : false,
    // Refuse, rather than strip, prototype-poisoning keys in JSON (SPEC §5 "Bad input").
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
    await registerOpenAPI(app);
    // Closed in reverse order of opening once in-flight requests have drained (app.close()).
    const store = await SQLStore.open(config.databaseUrl, { poolSize: config.databasePoolSize });
    app.addHook('onClose', async () => store.close());
    // Without Redis the plugin keeps its own in-memory counters (one instance).
    const counters = config.redisUrl ? await openRedisCounters(app, config) : undefined;
    if (counters) app.addHook('onClose', async () => counters.close());
    // SMTP when SMTP_URL is set; otherwise the plugin logs each mail, with its body (and so the
    // link) only outside production, because logs must never hold a token (OWASP Logging CS).
    const mailer = config.smtpUrl
      ? (await import('./mail/smtp-mailer.js')).createSMTPMailer({ url: config.smtpUrl, from: config.mailFrom })
      : undefined;
    await app.register(fastifyUsers, { ...config.auth, store, counters, mailer, logMailBody: !config.production });
    await registerWebPage(app, { csrfCookieName: app.fastifyUsers.auth.options.csrfCookieName });
    await app.ready();
  } catch (error) {
    await app.close().catch(() => {});
    throw error instanceof ConfigError ? namedForEnvironment(error) : error;
  }
  return app;
}

/**
 * Connects the shared counters. A Redis that is down at start does not stop the service: the
 * client keeps reconnecting and, meanwhile, counter calls fail closed (503) — see docs/operations.md,
 * "Health, shutdown and outages".
 */
async function openRedisCounters(app: FastifyInstance, config: ServerConfig): Promise<CounterStore> {
  let reported = false;
  // Loaded only when REDIS_URL is set: ioredis is a tenth of a second of start-up otherwise.
  const { RedisCounterStore } = await import('./store/redis/redis-counters.js');
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
