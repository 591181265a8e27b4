import { ConfigError } from './core/errors.js';

/**
 * The optional peer dependencies (package.json `peerDependenciesMeta`): each is imported only when
 * the configuration asks for it — SQLite, PostgreSQL, Redis, SMTP, the API docs — so an install
 * holds only the ones it uses, and one that asks for a missing package is told which to install
 * (docs/operations.md, "Installing the package").
 */
export type OptionalPackage = 'better-sqlite3' | 'pg' | 'ioredis' | 'nodemailer' | '@fastify/swagger' | '@fastify/swagger-ui';

/**
 * True when `error` says that `name` itself cannot be found — not a file inside it, nor one of its
 * own dependencies (their names are quoted differently in Node's message), which is a broken
 * install to report as it is.
 */
export function isMissingPackage(error: unknown, name: OptionalPackage): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${name}'`);
}

/**
 * What to install when `name` is missing, where the latest release does not fit: better-sqlite3 13
 * needs Node 22 and is outside our peer range (package.json `peerDependencies`), so npm would refuse it.
 */
const INSTALL_SPEC: Partial<Record<OptionalPackage, string>> = { 'better-sqlite3': 'better-sqlite3@12' };

/** The error for a setting that needs optional package `name`, which is not installed. */
export function missingPackage(setting: string, name: OptionalPackage, why: string): ConfigError {
  return new ConfigError(setting, `${why} needs the optional package "${name}": npm install ${INSTALL_SPEC[name] ?? name}`);
}

/**
 * Runs `load` — an `import()` of the package, or of our module that imports it — and turns "cannot
 * find `name`" into {@link missingPackage}. The `import()` stays a literal at each call site, so
 * TypeScript types it and the bundler keeps it on demand.
 */
export async function importOptional<T>(name: OptionalPackage, setting: string, why: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw isMissingPackage(error, name) ? missingPackage(setting, name, why) : error;
  }
}

/**
 * Whether `name` can be found from here, without loading it (`import.meta.resolve`): for Swagger,
 * checked at start but loaded on the first request for the docs (docs/BENCHMARKS.md, row 6).
 */
export function isInstalled(name: OptionalPackage): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}
