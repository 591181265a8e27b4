import { ConfigError } from './errors.js';
import { ABSOLUTE_PASSWORD_MIN_LENGTH, DEFAULT_PASSWORD_MAX_LENGTH, DEFAULT_PASSWORD_MIN_LENGTH } from './password-policy.js';
import { DEFAULT_ARGON2, DEFAULT_HASH_CONCURRENCY, type Argon2Parameters } from './password.js';
import { DEFAULT_SESSION_CACHE_MAX_BYTES, DEFAULT_SESSION_CACHE_SIZE } from './session-cache.js';
import { resolveThrottleOptions, type ThrottleOptions, type ThrottleSettings } from './throttle.js';

/** 24 hours, as the FastAPI note's database strategy (absolute, counted from issue). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 86_400;
export const DEFAULT_AUTH_COOKIE_NAME = 'token';
export const DEFAULT_CSRF_COOKIE_NAME = 'csrftoken';
export const DEFAULT_CSRF_HEADER_NAME = 'x-csrftoken';
/**
 * Seconds a session counts as recently authenticated after it proved a factor (docs/security.md,
 * "Recent authentication"): GitHub's "sudo mode" lasts a few hours of activity; ten minutes is
 * enough to finish adding a credential and short for a stolen session.
 */
export const DEFAULT_REAUTHENTICATION_WINDOW = 600;
/** Email sign-in makes no account for an unknown address unless asked (docs/email-sign-in.md). */
export const DEFAULT_EMAIL_SIGNUP = false;
/** HMAC keys shorter than this are refused (docs/configuration.md). */
export const MIN_SECRET_KEY_LENGTH = 32;

/** Settings of the product, the same whether read from the environment or passed by a library user. */
export interface AuthOptions {
  /** Seconds an access token lives from issue; default 86400. */
  accessTokenLifetime?: number;
  /** Name of the auth cookie; default `token`. A `__Host-` name must keep `Secure` and `Path=/`. */
  authCookieName?: string;
  /** Name of the CSRF cookie; default `csrftoken`. */
  csrfCookieName?: string;
  /** `Secure` on both cookies; default true. Only turn off for plain-HTTP development. */
  cookieSecure?: boolean;
  /** Signs CSRF tokens; at least 32 characters. Default: random per process (development only). */
  secretKey?: string;
  /** Older keys that still verify but never sign (rotation); default none. */
  secretKeyFallbacks?: string[];
  /** Origins allowed to call with credentials (exact match); default none. */
  corsOrigins?: string[];
  /** Base URL of the service, used for links in mail and as its own origin; default none. */
  publicUrl?: string;
  /** Password policy: minimum code points (default 15, never below 8) and maximum (default 1024). */
  passwordMinLength?: number;
  passwordMaxLength?: number;
  /**
   * argon2id parameters for new hashes; default OWASP's m=19456, t=2, p=1. Anything cheaper than
   * OWASP's table allows (memory below 7 MiB, or memory × passes below 7 MiB × 5) is refused.
   */
  argon2?: Partial<Argon2Parameters>;
  /**
   * Accept `argon2` below OWASP's minimum, for test suites only (a cheap hash keeps them fast);
   * default false. The server sets it under `NODE_ENV=test`. Never in production: a cheap hash
   * is an offline cracker's gift.
   */
  unsafeArgon2ForTests?: boolean;
  /** Password hashes computed at once; default 4. */
  hashConcurrency?: number;
  /** Addresses (exact IPs) whose `X-Forwarded-For` is believed; default none. */
  trustedProxies?: string[];
  /** Brute-force throttling of logins and registrations (docs/security.md); defaults in `DEFAULT_THROTTLE`. */
  throttle?: ThrottleOptions;
  /** Keep validated sessions in memory (docs/session-cache.md); default true. */
  sessionCache?: boolean;
  /** Sessions kept in memory at most, least recently used leave first; default 100000. */
  sessionCacheSize?: number;
  /** Estimated heap bytes of the sessions kept in memory, at most (docs/session-cache.md, "Memory"); default 64 MiB. */
  sessionCacheMaxBytes?: number;
  /** Seconds a session stays recently authenticated after a sign-in or re-authentication; default 600. */
  reauthenticationWindow?: number;
  /**
   * Sign-in by email (docs/email-sign-in.md) makes an account for an address without one, verified
   * by the mail itself; default false (an unknown address gets nothing, and no account).
   */
  emailSignup?: boolean;
  /** The clock, injectable for tests; default `() => new Date()`. */
  now?: () => Date;
}

export type ResolvedAuthOptions = Required<Omit<AuthOptions, 'secretKey' | 'publicUrl' | 'argon2' | 'throttle' | 'unsafeArgon2ForTests'>> & {
  secretKey: string;
  /** True when no key was given and a random one was made (a warning is due). */
  secretKeyGenerated: boolean;
  publicUrl: string | undefined;
  argon2: Argon2Parameters;
  throttle: ThrottleSettings;
};

/**
 * Validates options once, at start, and fills defaults. Every problem is a {@link ConfigError}
 * naming the option, so a bad deployment fails loudly instead of running weakened.
 */
export function resolveAuthOptions(options: AuthOptions, randomKey: () => string): ResolvedAuthOptions {
  const lifetime = options.accessTokenLifetime ?? DEFAULT_ACCESS_TOKEN_LIFETIME;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new ConfigError('accessTokenLifetime', 'must be a positive whole number of seconds');
  }
  const cookieSecure = options.cookieSecure ?? true;
  const authCookieName = checkCookieName('authCookieName', options.authCookieName ?? DEFAULT_AUTH_COOKIE_NAME, cookieSecure);
  const csrfCookieName = checkCookieName('csrfCookieName', options.csrfCookieName ?? DEFAULT_CSRF_COOKIE_NAME, cookieSecure);
  if (authCookieName === csrfCookieName) throw new ConfigError('csrfCookieName', 'must differ from the auth cookie name');

  const secretKeyGenerated = options.secretKey === undefined;
  const secretKey = options.secretKey ?? randomKey();
  const keys: [string, string][] = [['secretKey', secretKey], ...(options.secretKeyFallbacks ?? []).map((k): [string, string] => ['secretKeyFallbacks', k])];
  for (const [key, value] of keys) {
    if (value.length < MIN_SECRET_KEY_LENGTH) throw new ConfigError(key, `must be at least ${MIN_SECRET_KEY_LENGTH} characters`);
  }

  const corsOrigins = (options.corsOrigins ?? []).map((origin) => checkOrigin('corsOrigins', origin));
  const publicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);

  const passwordMinLength = options.passwordMinLength ?? DEFAULT_PASSWORD_MIN_LENGTH;
  const passwordMaxLength = options.passwordMaxLength ?? DEFAULT_PASSWORD_MAX_LENGTH;
  if (!Number.isInteger(passwordMinLength) || passwordMinLength < ABSOLUTE_PASSWORD_MIN_LENGTH) {
    throw new ConfigError('passwordMinLength', `must be a whole number of at least ${ABSOLUTE_PASSWORD_MIN_LENGTH}`);
  }
  if (!Number.isInteger(passwordMaxLength) || passwordMaxLength < passwordMinLength || passwordMaxLength > 4096) {
    throw new ConfigError('passwordMaxLength', 'must be a whole number between the minimum and 4096');
  }
  const argon2 = { ...DEFAULT_ARGON2, ...options.argon2 };
  for (const [name, value] of Object.entries(argon2)) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`argon2.${name}`, 'must be a positive whole number');
  }
  if (options.unsafeArgon2ForTests !== true) checkArgon2Cost(argon2, options.argon2 ?? {});
  const hashConcurrency = options.hashConcurrency ?? DEFAULT_HASH_CONCURRENCY;
  if (!Number.isInteger(hashConcurrency) || hashConcurrency < 1) throw new ConfigError('hashConcurrency', 'must be a positive whole number');

  const sessionCache = options.sessionCache ?? true;
  if (typeof sessionCache !== 'boolean') throw new ConfigError('sessionCache', 'must be true or false');
  const sessionCacheSize = options.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE;
  if (!Number.isInteger(sessionCacheSize) || sessionCacheSize < 1) throw new ConfigError('sessionCacheSize', 'must be a positive whole number of sessions');
  const sessionCacheMaxBytes = options.sessionCacheMaxBytes ?? DEFAULT_SESSION_CACHE_MAX_BYTES;
  // Below one entry's size nothing could be cached: a setting that silently turns the cache off is refused.
  if (!Number.isInteger(sessionCacheMaxBytes) || sessionCacheMaxBytes < 65_536)
    throw new ConfigError('sessionCacheMaxBytes', 'must be a whole number of bytes, at least 65536');

  const reauthenticationWindow = options.reauthenticationWindow ?? DEFAULT_REAUTHENTICATION_WINDOW;
  if (!Number.isInteger(reauthenticationWindow) || reauthenticationWindow < 1) {
    throw new ConfigError('reauthenticationWindow', 'must be a positive whole number of seconds');
  }

  const emailSignup = options.emailSignup ?? DEFAULT_EMAIL_SIGNUP;
  if (typeof emailSignup !== 'boolean') throw new ConfigError('emailSignup', 'must be true or false');

  return {
    accessTokenLifetime: lifetime,
    authCookieName,
    csrfCookieName,
    cookieSecure,
    secretKey,
    secretKeyGenerated,
    secretKeyFallbacks: [...(options.secretKeyFallbacks ?? [])],
    corsOrigins,
    publicUrl,
    passwordMinLength,
    passwordMaxLength,
    argon2,
    hashConcurrency,
    trustedProxies: [...(options.trustedProxies ?? [])],
    throttle: resolveThrottleOptions(options.throttle),
    sessionCache,
    sessionCacheSize,
    sessionCacheMaxBytes,
    reauthenticationWindow,
    emailSignup,
    now: options.now ?? systemNow,
  };
}

/**
 * OWASP Password Storage Cheat Sheet's argon2id rows (m=47104/t=1, m=19456/t=2 … m=7168/t=5)
 * all cost at least 7 MiB × 5 passes: memory below the last row's, or memory × passes below
 * it, is weaker than every configuration OWASP recommends.
 */
export const ARGON2_MIN_MEMORY_COST = 7168;
export const ARGON2_MIN_WORK = ARGON2_MIN_MEMORY_COST * 5;

/** Refuses argon2id parameters cheaper than OWASP's table (see above), naming the option at fault. */
export function checkArgon2Cost(argon2: Argon2Parameters, given: Partial<Argon2Parameters>): void {
  if (argon2.memoryCost < ARGON2_MIN_MEMORY_COST) {
    throw new ConfigError('argon2.memoryCost', `must be at least ${ARGON2_MIN_MEMORY_COST} KiB (OWASP's minimum for argon2id)`);
  }
  if (argon2.memoryCost * argon2.timeCost < ARGON2_MIN_WORK) {
    throw new ConfigError(given.timeCost !== undefined ? 'argon2.timeCost' : 'argon2.memoryCost', "memory × time is below OWASP's minimum argon2id cost");
  }
}

/** The real clock, the default of `now`: services that see it may read `Date.now()` instead (no `Date` made). */
export function systemNow(): Date {
  return new Date();
}

const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 6265 §4.1.1 token

function checkCookieName(key: string, name: string, secure: boolean): string {
  if (!COOKIE_NAME.test(name)) throw new ConfigError(key, `"${name}" is not a valid cookie name`);
  // RFC 6265bis §4.1.3: __Host- and __Secure- cookies are dropped by browsers unless Secure.
  if ((name.startsWith('__Host-') || name.startsWith('__Secure-')) && !secure) {
    throw new ConfigError(key, `"${name}" needs secure cookies (COOKIE_SECURE=true)`);
  }
  return name;
}

function checkOrigin(key: string, value: string): string {
  if (value === 'null') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not an origin`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw new ConfigError(key, `"${value}" is not an origin (scheme://host[:port], no path)`);
  }
  return url.origin;
}

function checkPublicUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return url.href.replace(/\/$/, '');
  } catch {
    throw new ConfigError('publicUrl', `"${value}" is not an http(s) URL`);
  }
}
