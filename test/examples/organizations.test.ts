import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../examples/organizations.js';
import type { MailMessage } from '../../src/core/mail.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { form } from '../support/requests.js';
import { totpAt } from '../support/totp.js';
import { tempDir } from '../support/temp.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';

describe('examples/organizations.ts: host routes guarded by app.requirePermission', () => {
  let app: FastifyInstance;
  let store: SQLStore;
  const mails: MailMessage[] = [];
  const dir = tempDir();
  const users: Record<string, { id: number; token: string }> = {};
  let orgId: number;

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${users[who]!.token}` }, ...(payload ? { payload } : {}) });

  before(async () => {
    store = await SQLStore.open(`sqlite:${join(dir.path, 'app.db')}`);
    app = await buildApp({ store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, mailer: { send: async (m) => void mails.push(m) } });
    await app.ready();
    for (const name of ['owner', 'admin', 'member', 'stranger']) {
      const email = `${name}@example.com`;
      await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: PASSWORD } });
      const user = await store.findUserByEmail(email);
      await store.updateUser(user!.id, { isVerified: true }, new Date());
      const token = await app.inject({ method: 'POST', url: '/auth/token', ...form({ username: email, password: PASSWORD }) });
      users[name] = { id: user!.id, token: token.json().access_token };
    }
    orgId = (await call('owner', 'POST', '/auth/orgs', { name: 'Acme', slug: 'acme' })).json().id;
    for (const role of ['admin', 'member']) {
      await call('owner', 'POST', `/auth/orgs/${orgId}/invitations`, { email: `${role}@example.com`, role });
      await app.fastifyUsers.mailOutbox.drain();
      const token = /token=([A-Za-z0-9_-]{43})/.exec(mails.filter((m) => m.to === `${role}@example.com`).at(-1)!.text)![1];
      assert.equal((await call(role, 'POST', '/auth/invitations/accept', { token })).statusCode, 200);
    }
  });
  after(async () => {
    await app.close();
    await store.close();
    dir.cleanup();
  });

  test('401 without a credential, 404 for a non-member or an id that is no organization', async () => {
    const anonymous = await app.inject({ method: 'GET', url: `/orgs/${orgId}/invoices` });
    assert.equal(anonymous.statusCode, 401);
    for (const url of [`/orgs/${orgId}/invoices`, '/orgs/999999/invoices', '/orgs/abc/invoices', '/orgs/0/invoices']) {
      const response = await call('stranger', 'GET', url);
      assert.deepEqual({ s: response.statusCode, c: response.json().code }, { s: 404, c: 'ORG_NOT_FOUND' }, url);
    }
  });

  test('a member reads (request.membership is set) but may not write: 403 ORG_FORBIDDEN', async () => {
    const read = await call('member', 'GET', `/orgs/${orgId}/invoices`);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), { organization: 'acme', role: 'member', invoices: [] });
    const write = await call('member', 'POST', `/orgs/${orgId}/invoices`, { amount: 10 });
    assert.deepEqual({ s: write.statusCode, c: write.json().code }, { s: 403, c: 'ORG_FORBIDDEN' });
  });

  test('an admin writes, an owner (every permission) writes and reads', async () => {
    assert.equal((await call('admin', 'POST', `/orgs/${orgId}/invoices`, { amount: 10 })).statusCode, 201);
    assert.equal((await call('owner', 'POST', `/orgs/${orgId}/invoices`, { amount: 20 })).statusCode, 201);
    const read = await call('owner', 'GET', `/orgs/${orgId}/invoices`);
    assert.deepEqual(read.json().invoices, [
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
    ]);
  });

  test("the docs' last step: an organization key with the scope invoices:read reads this organization's invoices, writes nothing, reads no other's", async () => {
    const made = await call('owner', 'POST', `/auth/orgs/${orgId}/api-keys`, { name: 'billing', scopes: ['invoices:read'] });
    assert.equal(made.statusCode, 201, made.body);
    const key = made.json().key as string;
    const read = await app.inject({ url: `/orgs/${orgId}/invoices`, headers: { 'x-api-key': key } });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().organization, 'acme');
    const write = await app.inject({ method: 'POST', url: `/orgs/${orgId}/invoices`, headers: { 'x-api-key': key }, payload: { amount: 5 } });
    assert.deepEqual({ s: write.statusCode, c: write.json().code }, { s: 403, c: 'INSUFFICIENT_SCOPE' });
    const elsewhere = (await call('stranger', 'POST', '/auth/orgs', { name: 'Elsewhere', slug: 'elsewhere' })).json().id;
    const foreign = await app.inject({ url: `/orgs/${elsewhere}/invoices`, headers: { 'x-api-key': key } });
    assert.deepEqual({ s: foreign.statusCode, c: foreign.json().code }, { s: 404, c: 'ORG_NOT_FOUND' });
  });

  test('with require_mfa on, the host route answers 403 ORG_MFA_REQUIRED to members without a second factor; a member with TOTP passes', async () => {
    // The owner sets up TOTP through the plugin's routes, then turns the rule on.
    const begin = await call('owner', 'POST', '/auth/users/me/totp', { current_password: PASSWORD });
    assert.equal(begin.statusCode, 200, begin.body);
    const { secret } = begin.json() as { secret: string };
    assert.equal((await call('owner', 'POST', '/auth/users/me/totp/confirm', { code: totpAt(secret, new Date()) })).statusCode, 200);
    const on = await call('owner', 'PATCH', `/auth/orgs/${orgId}`, { require_mfa: true });
    assert.equal(on.statusCode, 200, on.body);
    try {
      for (const who of ['member', 'admin']) {
        const refused = await call(who, 'GET', `/orgs/${orgId}/invoices`);
        assert.deepEqual({ s: refused.statusCode, c: refused.json().code }, { s: 403, c: 'ORG_MFA_REQUIRED' }, who);
      }
      // The rule never turns a stranger's 404 into a 403 (no existence oracle).
      assert.equal((await call('stranger', 'GET', `/orgs/${orgId}/invoices`)).statusCode, 404);
      assert.equal((await call('owner', 'GET', `/orgs/${orgId}/invoices`)).statusCode, 200);
    } finally {
      assert.equal((await call('owner', 'PATCH', `/auth/orgs/${orgId}`, { require_mfa: false })).statusCode, 200);
    }
    assert.equal((await call('member', 'GET', `/orgs/${orgId}/invoices`)).statusCode, 200, 'off again, the member reads');
  });

  test('a demoted admin loses the permission at once; a removed member is a stranger', async () => {
    assert.equal((await call('owner', 'PATCH', `/auth/orgs/${orgId}/members/${users.admin!.id}`, { role: 'member' })).statusCode, 200);
    assert.equal((await call('admin', 'POST', `/orgs/${orgId}/invoices`, { amount: 1 })).statusCode, 403);
    assert.equal((await call('owner', 'DELETE', `/auth/orgs/${orgId}/members/${users.member!.id}`)).statusCode, 204);
    assert.equal((await call('member', 'GET', `/orgs/${orgId}/invoices`)).statusCode, 404);
  });
});

describe('docs/organizations.md', () => {
  test('the example under "Adding an organization-scoped route" is exactly examples/organizations.ts', () => {
    const file = readFileSync(new URL('../../examples/organizations.ts', import.meta.url), 'utf8');
    const BEGIN = '// docs:begin\n';
    const body = file.slice(file.indexOf(BEGIN) + BEGIN.length, file.indexOf('// docs:end')).replace("from '../src/index.js'", "from 'fastify-users'");
    const docs = readFileSync(new URL('../../docs/organizations.md', import.meta.url), 'utf8');
    const section = docs.split(/^### Adding an organization-scoped route, step by step$/m)[1];
    assert.ok(section, 'docs/organizations.md has the section');
    assert.equal(/```ts\n([\s\S]*?)```/.exec(section)?.[1], body);
  });
});
