/**
 * Optional real services for tests: PostgreSQL (`TEST_DATABASE_URL`), Redis (`TEST_REDIS_URL`),
 * Chromium (`CHROMIUM_PATH`, else the first of {@link CHROMIUM_CANDIDATES} present) and a Python 3 with
 * requests-oauthlib (`PYTHON`, else `python3` or /usr/bin/python3). When one is missing the
 * suite is skipped with a visible reason; with `REQUIRE_SERVICES=1` (set by .ci/run) a missing
 * service fails the run instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ServiceCheck {
  /** The value to use (URL or path), when the service is available. */
  value: string | undefined;
  /** `false` to run, or the reason to skip (node:test's `skip` option). */
  skip: string | false;
}

function check(name: string, value: string | undefined, hint: string): ServiceCheck {
  if (value) return { value, skip: false };
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (REQUIRE_SERVICES=1) but ${hint} is not set`);
  }
  const reason = `${name} not available: set ${hint} to run these tests`;
  console.log(`# SKIP ${reason}`);
  return { value: undefined, skip: reason };
}

export function postgres(): ServiceCheck {
  return check('PostgreSQL', process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1/test)');
}

export function redis(): ServiceCheck {
  return check('Redis', process.env.TEST_REDIS_URL, 'TEST_REDIS_URL (e.g. redis://127.0.0.1:6379)');
}

/**
 * Where Chromium is looked for when `CHROMIUM_PATH` is not set. Its headless shell (Debian:
 * chromium-headless-shell) first: the same Blink and DevTools protocol without the desktop
 * browser's layers, at about a third of the CPU per browser context and page (docs/testing.md,
 * "Which Chromium"); then the full browser.
 */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'];

/** The Chromium the browser tests use: `CHROMIUM_PATH`, else the first candidate present. */
export function chromiumPath(): string | undefined {
  return process.env.CHROMIUM_PATH ?? CHROMIUM_CANDIDATES.find((path) => existsSync(path));
}

export function chromium(): ServiceCheck {
  return check('Chromium', chromiumPath(), 'CHROMIUM_PATH (or install chromium-headless-shell or chromium)');
}

/**
 * A Python 3 that can import requests-oauthlib (Debian: python3-requests-oauthlib, installed by
 * .ci/run), the OAuth2 client of test/e2e/oauth-client.test.ts. The first of `PYTHON`, `python3`
 * on PATH and /usr/bin/python3 that has the module (a pyenv python3 may not see Debian's packages).
 */
export function pythonOAuthClient(): ServiceCheck {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((python): python is string => Boolean(python));
  const found = candidates.find((python) => spawnSync(python, ['-c', 'import requests_oauthlib'], { stdio: 'ignore' }).status === 0);
  return check('Python requests-oauthlib', found, 'PYTHON (a python3 that can import requests_oauthlib; Debian: python3-requests-oauthlib)');
}

/**
 * A Python 3 that can import Authlib's requests client (Debian: python3-authlib, installed by
 * .ci/run), the OpenID Connect client of test/e2e/authlib-provider.test.ts; found as
 * {@link pythonOAuthClient} finds its module.
 */
export function pythonAuthlib(): ServiceCheck {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((python): python is string => Boolean(python));
  const found = candidates.find(
    (python) => spawnSync(python, ['-c', 'import authlib.integrations.requests_client, authlib.jose'], { stdio: 'ignore' }).status === 0,
  );
  return check('Python Authlib', found, 'PYTHON (a python3 that can import authlib; Debian: python3-authlib)');
}
