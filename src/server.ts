import Fastify, { type FastifyInstance } from 'fastify';
import { AuthError, ConfigError } from './core/errors.js';
import type { AuthOptions } from './core/options.js';
import { registerOpenAPI } from './http/openapi.js';
import { DEFAULT_BODY_LIMIT, fastifyUsers } from './http/plugin.js';
import { handleError, sendError } from './http/reply-error.js';
import { createLogMailer } from './mail/log-mailer.js';
import { createSMTPMailer } from './mail/smtp-mailer.js';

/** Everything the server reads from the environment, typed and validated. */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | undefined;
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
};

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
  const smtpUrl = text('SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
  const publicUrl = text('PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    port,
    host,
    databaseUrl: text('DATABASE_URL') ?? 'sqlite:data/auth.db',
    redisUrl,
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

/** Builds the whole service (routes, docs, error format) from a config; does not listen. */
export async function buildServer(config: ServerConfig, overrides: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: overrides.logger ?? { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    bodyLimit: DEFAULT_BODY_LIMIT,
    // X-Forwarded-For is believed only from the listed proxies (SPEC §5); otherwise the socket address.
    trustProxy: config.auth.trustedProxies && config.auth.trustedProxies.length > 0 ? config.auth.trustedProxies : false,
    // Refuse, rather than strip, prototype-poisoning keys in JSON (SPEC §5 "Bad input").
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: false },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => sendError(reply, new AuthError('NOT_FOUND')));
  await registerOpenAPI(app);
  try {
    // SPEC §2: SMTP when SMTP_URL is set; otherwise the log, with the body (and so the link)
    // only outside production, because logs must never hold a token (SPEC §5).
    const mailer = config.smtpUrl
      ? createSMTPMailer({ url: config.smtpUrl, from: config.mailFrom })
      : createLogMailer(app.log, { includeBody: !config.production });
    if (!config.smtpUrl) {
      app.log.warn(config.production
        ? 'SMTP_URL is not set: reset and verification mail is NOT delivered (production: only its recipient is logged)'
        : 'SMTP_URL is not set: reset and verification mail, links included, is written to this log (development only)');
    }
    await app.register(fastifyUsers, { ...config.auth, databaseUrl: config.databaseUrl, mailer });
    await app.ready();
  } catch (error) {
    await app.close().catch(() => {});
    if (error instanceof ConfigError) throw new ConfigError(ENV_OF[error.key] ?? error.key, error.message.replace(`${error.key}: `, ''));
    throw error;
  }
  return app;
}
