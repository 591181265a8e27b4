import { ConfigError } from '../../core/errors.js';
import type { OAuthClients } from './clients.js';

/** One hour: short enough that a JWT access token, which is not looked up, does not outlive its user's wishes for long (RFC 9700 §2.2). */
export const DEFAULT_OAUTH_ACCESS_TOKEN_LIFETIME = 3600;
/** Thirty days, absolute: a refresh token rotates on every use but its grant ends then (RFC 9700 §4.14.2). */
export const DEFAULT_OAUTH_REFRESH_TOKEN_LIFETIME = 2_592_000;
/** The OpenID Connect scopes every client may ask for; `OAUTH_SERVER_SCOPES` adds API scopes (docs/oauth-server.md). */
export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/**
 * Storage of the provider's state (grants, codes, tokens, sessions, clients): an `oidc-provider`
 * adapter class. Default: the engine's in-memory adapter, for one process.
 */
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's adapter constructor type, kept loose at this seam
export type OAuthServerAdapter = new (name: string) => any;

/** The `oauthServer` plugin option: this service as an OAuth 2.1 / OpenID Connect provider (docs/oauth-server.md). */
export interface OAuthServerOptions {
  /** Serve the provider; default false. Needs `publicUrl`, which is the issuer. */
  enabled?: boolean;
  /** Open client registration (RFC 7591) to anyone, throttled per address; default false. */
  dynamicRegistration?: boolean;
  /** Absolute URIs for which JWT access tokens are issued (RFC 8707); default `[publicUrl]`. */
  resources?: string[];
  /** API scopes a client may ask for beyond `openid profile email offline_access`; default none. */
  scopes?: string[];
  /** Seconds an access token lives; default 3600. */
  accessTokenLifetime?: number;
  /** Seconds a refresh token's grant lives, absolute (rotation does not extend it); default 2592000. */
  refreshTokenLifetime?: number;
  /** Where the engine keeps its state; default in memory (one process). */
  adapter?: OAuthServerAdapter;
  /** Where clients are registered, on the same storage as `adapter` (required with it); default in memory. */
  clients?: OAuthClients;
}

/** The option checked, with its defaults. */
export interface ResolvedOAuthServer {
  /** `publicUrl`, exactly: the `iss` of every token and the base of every endpoint. */
  issuer: string;
  dynamicRegistration: boolean;
  resources: string[];
  /** Every scope a client may ask for: the standard ones, then the API scopes. */
  scopes: string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  adapter: OAuthServerAdapter | undefined;
  clients: OAuthClients | undefined;
}

const OPTION = 'oauthServer';
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Checks `oauthServer` at start (a bad value is a {@link ConfigError} naming the option); none when off. */
export function resolveOAuthServer(options: OAuthServerOptions | undefined, publicUrl: string | undefined): ResolvedOAuthServer | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new ConfigError(OPTION, 'must be an object such as { enabled: true }');
  const enabled = flag('enabled', options.enabled);
  if (!enabled) return undefined;
  if (publicUrl === undefined) throw new ConfigError('publicUrl', 'is required with oauthServer: it is the issuer of every token');
  const resources = list('resources', options.resources) ?? [publicUrl];
  for (const resource of resources) {
    // RFC 8707 §2: an absolute URI without a fragment.
    if (!URL.canParse(resource) || !/^https?:\/\/[^\s/]/.test(resource) || resource.includes('#')) {
      throw new ConfigError(`${OPTION}.resources`, `"${resource}" is not an absolute http(s) URI without a fragment`);
    }
  }
  const apiScopes = list('scopes', options.scopes) ?? [];
  for (const scope of apiScopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new ConfigError(`${OPTION}.scopes`, `"${scope}" is not a scope name (RFC 6749 §3.3)`);
  }
  const adapter = options.adapter;
  if (adapter !== undefined && typeof adapter !== 'function') throw new ConfigError(`${OPTION}.adapter`, 'must be an oidc-provider adapter class');
  const clients = options.clients;
  if (clients !== undefined && (typeof clients.create !== 'function' || typeof clients.list !== 'function' || typeof clients.delete !== 'function')) {
    throw new ConfigError(`${OPTION}.clients`, 'must have create, list and delete');
  }
  if ((adapter === undefined) !== (clients === undefined))
    throw new ConfigError(`${OPTION}.clients`, 'give both adapter and clients, on the same storage, or neither');
  return {
    issuer: publicUrl,
    dynamicRegistration: flag('dynamicRegistration', options.dynamicRegistration),
    resources: [...new Set(resources)],
    scopes: [...new Set([...STANDARD_SCOPES, ...apiScopes])],
    accessTokenLifetime: seconds('accessTokenLifetime', options.accessTokenLifetime, DEFAULT_OAUTH_ACCESS_TOKEN_LIFETIME),
    refreshTokenLifetime: seconds('refreshTokenLifetime', options.refreshTokenLifetime, DEFAULT_OAUTH_REFRESH_TOKEN_LIFETIME),
    adapter,
    clients,
  };
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ConfigError(`${OPTION}.${name}`, 'must be true or false');
  return value;
}

function list(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new ConfigError(`${OPTION}.${name}`, 'must be a list of names');
  }
  return value.length === 0 ? undefined : value;
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ConfigError(`${OPTION}.${name}`, 'must be a positive whole number of seconds');
  return value;
}
