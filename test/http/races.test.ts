import assert from 'node:assert/strict';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../support/constants.js';
import { testDatabases } from '../support/databases.js';
import { form } from '../support/requests.js';
import { buildTestServer, type TestServer } from '../support/servers.js';
import { internalsOf } from '../support/internals.js';

for (const database of testDatabases()) {
  describe(`races (${database.name})`, { skip: database.skip }, () => {
    let s: TestServer;
    let drop: () => Promise<void>;
    before(async () => {
      const created = await database.create();
      drop = created.drop;
      // The throttle charges attempts before the password check (so concurrent guesses cannot
      // exceed it), which would also refuse 10 concurrent *right* logins from one address; these
      // tests are about the store and the hash upgrade, so its limits are raised here.
      s = await buildTestServer({ ...created.env, THROTTLE_IDENTIFIER_ADDRESS_LIMIT: '100', THROTTLE_IDENTIFIER_LIMIT: '100', THROTTLE_REGISTER_LIMIT: '100' });
    });
    after(async () => {
      await s?.close();
      await drop?.();
    });

    test('20 concurrent registrations of one email (case variants included) make one account, the rest 400, no 5xx', async () => {
      const variants = ['race@example.com', 'RACE@example.com', 'Race@Example.com', ' race@example.com ', 'race@EXAMPLE.COM'];
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.app.inject({ method: 'POST', url: '/register', payload: { email: variants[i % variants.length], password: PASSWORD } }),
        ),
      );
      const codes = responses.map((r) => r.statusCode);
      assert.equal(codes.filter((c) => c === 201).length, 1, `statuses: ${codes.join(',')}`);
      assert.equal(codes.filter((c) => c === 400).length, 19);
      for (const r of responses.filter((r) => r.statusCode === 400)) assert.equal(r.json().code, 'REGISTER_USER_ALREADY_EXISTS');
      const all = await internalsOf(s.app).auth.store.listUsers(0, 100);
      assert.equal(all.filter((u) => u.email === 'race@example.com').length, 1);
    });

    test('10 concurrent logins of a user with a bcrypt hash all succeed and leave one valid argon2id hash', async () => {
      const { store, passwords } = internalsOf(s.app).auth;
      const created = await s.app.inject({ method: 'POST', url: '/register', payload: { email: 'legacy@example.com', password: PASSWORD } });
      const id = created.json().id as number;
      const legacy = await bcryptHash(PASSWORD, 4);
      await store.updateUser(id, { hashedPassword: legacy }, new Date());
      assert.equal(passwords.needsRehash(legacy), true);

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => s.app.inject({ method: 'POST', url: '/token', ...form({ username: 'legacy@example.com', password: PASSWORD }) })),
      );
      assert.deepEqual(
        responses.map((r) => r.statusCode),
        Array(10).fill(200),
      );

      const stored = (await store.findUserById(id))!.hashedPassword;
      assert.match(stored, /^\$argon2id\$/);
      assert.equal((await passwords.verifyPassword(PASSWORD, stored)).valid, true);
      assert.equal(passwords.needsRehash(stored), false);
      const again = await s.app.inject({ method: 'POST', url: '/token', ...form({ username: 'legacy@example.com', password: PASSWORD }) });
      assert.equal(again.statusCode, 200);
    });
  });
}
