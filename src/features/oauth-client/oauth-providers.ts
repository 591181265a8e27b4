import { ConfigError } from '../../core/errors.js';

/** Built-in providers chosen by name: GitHub (OAuth 2.0 plus its REST API) and Google (OpenID Connect). */
export type OAuthPreset = 'github' | 'google';

/** GitHub's endpoints; overridable for GitHub Enterprise Server (`https://HOST/login/oauth/…`, `https://HOST/api/v3`). */
export interface GitHubEndpoints {
  authorization: string;
  token: string;
  /** Base of the REST API (`/user`, `/user/emails`). */
  api: string;
}

/** One identity provider, as a library user passes it (`oauthProviders`). */
export interface OAuthProviderOptions {
  /** `[a-z0-9-]+`: appears in the routes (`/oauth/<name>/…`) and the stored links (`oauth_name`). */
  name: string;
  clientId: string;
  clientSecret: string;
  /** An OpenID Connect issuer (endpoints and keys from its discovery document). Not with `preset: 'github'`. */
  issuer?: string;
  /** Default: the name itself when it is `github` or `google`. */
  preset?: OAuthPreset;
  /** Scopes to ask for; default `openid email profile` (GitHub: `read:user user:email`). */
  scopes?: string[];
  /** GitHub only: other endpoints (GitHub Enterprise Server, or a stand-in in tests). */
  endpoints?: Partial<GitHubEndpoints>;
}

/** A provider after validation: either an OpenID Connect issuer or GitHub's OAuth 2.0 endpoints. */
export type ResolvedOAuthProvider =
  | { kind: 'oidc'; name: string; clientId: string; clientSecret: string; issuer: URL; scopes: string[] }
  | { kind: 'github'; name: string; clientId: string; clientSecret: string; endpoints: { authorization: URL; token: URL; api: URL }; scopes: string[] };

export const GITHUB_ENDPOINTS: Readonly<GitHubEndpoints> = {
  authorization: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  api: 'https://api.github.com',
};
export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];
/** GitHub: the profile (numeric id) and the email addresses with their verified flags. */
export const DEFAULT_GITHUB_SCOPES = ['read:user', 'user:email'];

const NAME = /^[a-z0-9-]+$/;
const MAX_NAME = 64;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Validates `oauthProviders` once, at start; every problem is a {@link ConfigError} naming the
 * option (`oauthProviders[1].issuer`). `http:` URLs are accepted only on a loopback host: an
 * issuer reached over plain HTTP could be impersonated (OAuth 2.0 Security BCP, RFC 9700 §4.1).
 */
export function resolveOAuthProviders(providers: readonly OAuthProviderOptions[] | undefined): ResolvedOAuthProvider[] {
  const seen = new Set<string>();
  return (providers ?? []).map((provider, index) => {
    const key = (field: string) => `oauthProviders[${index}].${field}`;
    const { name } = provider;
    if (typeof name !== 'string' || !NAME.test(name) || name.length > MAX_NAME) throw new ConfigError(key('name'), `"${name}" must match [a-z0-9-]+`);
    if (seen.has(name)) throw new ConfigError(key('name'), `"${name}" is configured twice`);
    seen.add(name);
    for (const field of ['clientId', 'clientSecret'] as const) {
      if (typeof provider[field] !== 'string' || provider[field].trim() === '') throw new ConfigError(key(field), 'is required');
    }
    const preset = provider.preset ?? (name === 'github' || name === 'google' ? name : undefined);
    if (preset !== undefined && preset !== 'github' && preset !== 'google') throw new ConfigError(key('preset'), `"${String(preset)}" is not github or google`);
    const scopes = provider.scopes ?? (preset === 'github' ? DEFAULT_GITHUB_SCOPES : DEFAULT_OIDC_SCOPES);
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
      throw new ConfigError(key('scopes'), 'must be a list of scope tokens (RFC 6749 §3.3)');
    }
    const base = { name, clientId: provider.clientId, clientSecret: provider.clientSecret, scopes: [...scopes] };
    if (preset === 'github') {
      if (provider.issuer !== undefined) throw new ConfigError(key('issuer'), 'GitHub is not an OpenID Connect issuer; give `endpoints` for GitHub Enterprise');
      const endpoints = { ...GITHUB_ENDPOINTS, ...provider.endpoints };
      return {
        kind: 'github' as const,
        ...base,
        endpoints: {
          authorization: checkURL(key('endpoints.authorization'), endpoints.authorization),
          token: checkURL(key('endpoints.token'), endpoints.token),
          api: checkURL(key('endpoints.api'), endpoints.api),
        },
      };
    }
    if (provider.endpoints !== undefined)
      throw new ConfigError(key('endpoints'), 'only for the github preset; an OpenID Connect issuer publishes its endpoints');
    const issuer = provider.issuer ?? (preset === 'google' ? GOOGLE_ISSUER : undefined);
    if (issuer === undefined) throw new ConfigError(key('issuer'), `is required for "${name}" (not a preset: github, google)`);
    return { kind: 'oidc' as const, ...base, issuer: checkURL(key('issuer'), issuer) };
  });
}

function checkURL(key: string, value: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigError(key, `"${String(value)}" is not a URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new ConfigError(key, `"${url.href}" must be https (http only on a loopback host)`);
}

/** Environment variables of provider `name`: `OAUTH_<NAME>_…`, upper-cased, `-` → `_`. */
export function oauthVariable(name: string, field: 'CLIENT_ID' | 'CLIENT_SECRET' | 'ISSUER' | 'SCOPES'): string {
  return `OAUTH_${name.toUpperCase().replaceAll('-', '_')}_${field}`;
}

/**
 * Reads `OAUTH_PROVIDERS` and each provider's `OAUTH_<N>_*` variables from `env` (called by
 * `readConfig`, the only reader of `process.env`); validated here with errors naming the variable.
 * With providers, `PUBLIC_URL` must be set: the redirect URI registered at each provider is
 * `PUBLIC_URL/oauth/<name>/callback`, and it must not depend on the request's Host header.
 */
export function oauthProvidersFromEnv(env: Record<string, string | undefined>): OAuthProviderOptions[] | undefined {
  const text = (variable: string) => {
    const value = env[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const names = text('OAUTH_PROVIDERS')
    ?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names === undefined || names.length === 0) return undefined;
  if (text('PUBLIC_URL') === undefined)
    throw new ConfigError('PUBLIC_URL', 'is required with OAUTH_PROVIDERS (the redirect URI is PUBLIC_URL/oauth/<name>/callback)');
  const providers = names.map((name) => {
    if (!NAME.test(name)) throw new ConfigError('OAUTH_PROVIDERS', `"${name}" must match [a-z0-9-]+`);
    const provider: OAuthProviderOptions = {
      name,
      clientId: text(oauthVariable(name, 'CLIENT_ID')) ?? '',
      clientSecret: text(oauthVariable(name, 'CLIENT_SECRET')) ?? '',
    };
    const issuer = text(oauthVariable(name, 'ISSUER'));
    const scopes = text(oauthVariable(name, 'SCOPES'));
    if (issuer !== undefined) provider.issuer = issuer;
    if (scopes !== undefined) provider.scopes = scopes.split(/\s+/);
    return provider;
  });
  try {
    resolveOAuthProviders(providers);
  } catch (error) {
    throw error instanceof ConfigError ? renameForEnvironment(error, providers) : error;
  }
  return providers;
}

/** `oauthProviders[1].clientId: is required` → `OAUTH_GOOGLE_CLIENT_ID: is required`. */
function renameForEnvironment(error: ConfigError, providers: OAuthProviderOptions[]): ConfigError {
  const match = /^oauthProviders\[(\d+)\]\.(\w+)/.exec(error.key);
  const provider = match ? providers[Number(match[1])] : undefined;
  if (!match || !provider) return error;
  const field = ({ clientId: 'CLIENT_ID', clientSecret: 'CLIENT_SECRET', issuer: 'ISSUER', scopes: 'SCOPES' } as const)[match[2] as 'clientId'];
  const variable = field ? oauthVariable(provider.name, field) : 'OAUTH_PROVIDERS';
  return new ConfigError(variable, error.message.slice(error.key.length + 2));
}
