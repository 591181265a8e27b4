/**
 * The token endpoint driven by a real OAuth2 client nobody here wrote: Python's requests-oauthlib
 * (password grant, `LegacyApplicationClient`) against a real listening server. A good login gets a
 * token the client then uses; a wrong password surfaces as oauthlib's `InvalidGrantError` because
 * the 401 carries RFC 6749 §5.2's `"error": "invalid_grant"` (docs/clients.md).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildServer, readConfig } from '../../src/server.js';
import { FAST_ARGON2, PASSWORD, ROOT, TEST_SECRET } from '../support/constants.js';
import { pythonOAuthClient } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const PYTHON = pythonOAuthClient();
const SCRIPT = join(ROOT, 'test', 'e2e', 'oauth_client.py');
const EMAIL = 'script@example.com';

describe('requests-oauthlib against /token (a real client, a real server)', { skip: PYTHON.skip }, () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    const config = readConfig({
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      SECRET_KEY: TEST_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    app = await buildServer(config, { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const registered = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(registered.status, 201);
  });

  after(async () => {
    await app?.close();
    dir.cleanup();
  });

  /** What the Python client saw, as printed by oauth_client.py. */
  async function client(username: string, password: string): Promise<Record<string, unknown>> {
    const { stdout } = await promisify(execFile)(PYTHON.value!, [SCRIPT, base, username, password], {
      // oauthlib refuses plain http; the server is on loopback for the test only.
      env: { PATH: process.env.PATH, OAUTHLIB_INSECURE_TRANSPORT: '1' },
      timeout: 30_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  test('a good login gets a bearer token that the client then uses on /users/me', async () => {
    assert.deepEqual(await client(EMAIL, PASSWORD), { token_type: 'bearer', expires_in: 86400, me: EMAIL });
  });

  test('a wrong password and an unknown email raise InvalidGrantError (not "Missing access token parameter")', async () => {
    for (const [username, password] of [
      [EMAIL, 'not the password at all'],
      ['nobody@example.com', PASSWORD],
    ] as const) {
      assert.deepEqual(await client(username, password), {
        raised: 'InvalidGrantError',
        error: 'invalid_grant',
        description: 'Incorrect email or password',
        message: '(invalid_grant) Incorrect email or password',
      });
    }
  });
});
