import { statSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { DEFAULT_RANGE_API_TIMEOUT_MS, DEFAULT_RANGE_API_URL } from './range-api.js';

/**
 * The `breachedPasswords` plugin option (docs/breached-passwords.md): an offline folder of range
 * files, or the range API (`api: true` for Have I Been Pwned's, or the base URL of another, such
 * as a mirror inside the network). `timeoutMs` bounds an API query (default 2000).
 */
export type BreachedPasswordsOptions = { rangeFolder: string } | { api: true | string; timeoutMs?: number };

/** The option checked: where lookups go. */
export type ResolvedBreachedPasswords = { kind: 'range-folder'; folder: string } | { kind: 'api'; url: string; timeoutMs: number };

const OPTION = 'breachedPasswords';

/** Checks the option before the plugin does anything (a folder that is not one is refused at start). */
export function resolveBreachedPasswords(options: BreachedPasswordsOptions | undefined): ResolvedBreachedPasswords | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new ConfigError(OPTION, 'must be { rangeFolder: "<dir>" } or { api: true | "<url>" }');
  if ('rangeFolder' in options) {
    const folder = options.rangeFolder;
    if (typeof folder !== 'string' || folder === '') throw new ConfigError(OPTION, 'rangeFolder must be a folder path');
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new ConfigError(OPTION, `rangeFolder "${folder}" is not a folder`);
    return { kind: 'range-folder', folder };
  }
  if ('api' in options) {
    const url = options.api === true ? DEFAULT_RANGE_API_URL : options.api;
    if (typeof url !== 'string' || !/^https?:\/\/[^\s/]/.test(url) || !URL.canParse(url)) throw new ConfigError(OPTION, 'api must be true or an http(s) URL');
    const timeoutMs = options.timeoutMs ?? DEFAULT_RANGE_API_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError(OPTION, 'timeoutMs must be a whole number of milliseconds');
    return { kind: 'api', url, timeoutMs };
  }
  throw new ConfigError(OPTION, 'must be { rangeFolder: "<dir>" } or { api: true | "<url>" }');
}

/**
 * The option from the server's settings: `BREACHED_PASSWORDS=range-file:<dir>` or `=api`, with
 * `BREACHED_PASSWORDS_API_URL` for another API than Have I Been Pwned's. Errors name the variable.
 */
export function breachedPasswordsFromSettings(mode: string | undefined, apiUrl: string | undefined): BreachedPasswordsOptions | undefined {
  if (mode === undefined) {
    if (apiUrl !== undefined) throw new ConfigError('BREACHED_PASSWORDS_API_URL', 'is used only with BREACHED_PASSWORDS=api');
    return undefined;
  }
  let options: BreachedPasswordsOptions;
  if (mode === 'api') options = { api: apiUrl ?? true };
  else if (mode.startsWith('range-file:') && mode.length > 'range-file:'.length) {
    if (apiUrl !== undefined) throw new ConfigError('BREACHED_PASSWORDS_API_URL', 'is used only with BREACHED_PASSWORDS=api');
    options = { rangeFolder: mode.slice('range-file:'.length) };
  } else throw new ConfigError('BREACHED_PASSWORDS', `must be "range-file:<dir>" or "api", got "${mode}"`);
  try {
    resolveBreachedPasswords(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const variable = 'api' in options && apiUrl !== undefined ? 'BREACHED_PASSWORDS_API_URL' : 'BREACHED_PASSWORDS';
    throw new ConfigError(variable, error.message.replace(`${OPTION}: `, ''));
  }
  return options;
}
