import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PASSWORD } from '../../support/constants.js';
import { testDatabases } from '../../support/databases.js';
import { auth, form } from '../../support/requests.js';
import { buildTestServer } from '../../support/servers.js';
import { tempDir } from '../../support/temp.js';
import { totpAt } from '../../support/totp.js';

/**
 * A TOTP code is spent once across instances: two servers on one database (two processes' worth
 * of pools and caches) get the same code at the same moment, and exactly one signs in.
 */
for (const database of testDatabases()) {
  describe(`one TOTP code, two instances, one database: ${database.name}`, { skip: database.skip }, () => {
    test('of concurrent sign-ins with one code on both instances, exactly one succeeds; the code is then spent on both', async () => {
      const { env, drop } = await database.create();
      const dir = tempDir();
      // SQLite: both instances on one file; PostgreSQL: the fresh database.
      const shared = database.name === 'sqlite' ? { DATABASE_URL: `sqlite:${join(dir.path, 'shared.db')}` } : env;
      const a = await buildTestServer(shared);
      const b = await buildTestServer(shared);
      try {
        assert.equal((await a.app.inject({ method: 'POST', url: '/register', payload: { email: 'twice@example.com', password: PASSWORD } })).statusCode, 201);
        const token = (await a.app.inject({ method: 'POST', url: '/token', ...form({ username: 'twice@example.com', password: PASSWORD }) })).json()
          .access_token;
        const { secret } = (
          await a.app.inject({ method: 'POST', url: '/users/me/totp', headers: auth(token), payload: { current_password: PASSWORD } })
        ).json();
        // Confirmed with the previous step's code, so the current one is still unspent.
        const confirmed = await b.app.inject({
          method: 'POST',
          url: '/users/me/totp/confirm',
          headers: auth(token),
          payload: { code: totpAt(secret, new Date(), -1) },
        });
        assert.equal(confirmed.statusCode, 200, confirmed.body);

        const code = totpAt(secret, new Date());
        const signIn = (server: typeof a) =>
          server.app.inject({ method: 'POST', url: '/token', ...form({ username: 'twice@example.com', password: PASSWORD, otp: code }) });
        const results = await Promise.all([signIn(a), signIn(b), signIn(a), signIn(b)]);
        const statuses = results.map((r) => r.statusCode).sort();
        // The code may straddle a step boundary during the run; it is still spent at most once.
        assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(results.map((r) => r.body)));
        for (const server of [a, b]) assert.equal((await signIn(server)).json().code, 'LOGIN_BAD_OTP');
      } finally {
        await a.close();
        await b.close();
        await drop();
        dir.cleanup();
      }
    });
  });
}
