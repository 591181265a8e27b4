import { hash as argon2Hash, Algorithm } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { digestToken, generateToken } from '../../src/core/token.js';
import { fastifyUsers } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { cli } from '../support/cli.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { freshDatabase } from '../support/databases.js';
import { bearerToken } from '../support/requests.js';
import { postgres } from '../support/services.js';
import { sqliteURL, tempDir } from '../support/temp.js';

describe('CLI on a temporary SQLite database', () => {
  const dir = tempDir();
  const databaseUrl = sqliteURL(dir);
  const env = { DATABASE_URL: databaseUrl };
  let store: SQLStore;

  before(async () => {
    const migrated = await cli(['migrate'], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    store = await SQLStore.open(databaseUrl, { migrate: false });
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  /** The plugin on the CLI's database, to log in over HTTP. */
  async function appOnDatabase() {
    const app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, purgeIntervalSeconds: 0 });
    await app.ready();
    return app;
  }

  test('create-user reads the password from stdin, never argv, and the account logs in', async () => {
    const run = await cli(['create-user', 'Root@Example.com', '--superuser', '--verified'], { env, stdin: `${PASSWORD}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /created superuser root@example\.com \(id \d+, verified\)/);
    assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD));
    const user = (await store.findUserByEmail('root@example.com'))!;
    assert.equal(user.isSuperuser, true);
    assert.equal(user.isVerified, true);
    assert.match(user.hashedPassword, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'the real OWASP parameters');
    const app = await appOnDatabase();
    try {
      const token = await bearerToken(app, 'root@example.com');
      const list = await app.inject({ method: 'GET', url: '/users', headers: { authorization: `Bearer ${token}` } });
      assert.equal(list.statusCode, 200, 'the superuser flag works');
    } finally {
      await app.close();
    }
  });

  test('create-user refuses a taken email, no password and a password given as an argument', async () => {
    const taken = await cli(['create-user', 'root@example.com'], { env, stdin: `${PASSWORD}\n` });
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /Email already exists/);
    const empty = await cli(['create-user', 'empty@example.com'], { env, stdin: '' });
    assert.notEqual(empty.code, 0);
    const argv = await cli(['create-user', 'argv@example.com', '--password', PASSWORD], { env, stdin: `${PASSWORD}\n` });
    assert.equal(argv.code, 2, 'there is no --password option');
    assert.equal(await store.findUserByEmail('argv@example.com'), null);
  });

  test('purge-expired deletes expired access and action tokens and keeps the live ones', async () => {
    const user = (await store.findUserByEmail('root@example.com'))!;
    const past = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    const digests = [generateToken(), generateToken(), generateToken(), generateToken()].map(digestToken);
    for (const [digest, expiresAt] of [
      [digests[0]!, past],
      [digests[1]!, future],
    ] as const) {
      await store.createToken({ digest, userId: user.id, expiresAt, createdAt: past, lastUsedAt: past, userAgent: null, ip: null });
    }
    for (const [digest, expiresAt] of [
      [digests[2]!, past],
      [digests[3]!, future],
    ] as const) {
      await store.createActionToken({ digest, purpose: 'reset', userId: user.id, email: user.email, passwordFingerprint: 'f', expiresAt, createdAt: past });
    }
    const run = await cli(['purge-expired'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /purged 1 expired access token\(s\) and 1 expired reset\/verification token\(s\)/);
    const live = await store.listUserTokens(user.id, new Date());
    assert.ok(live.some((t) => t.digest === digests[1]));
    assert.ok(!live.some((t) => t.digest === digests[0]));
    assert.equal(await store.findActionToken(digests[2]!, 'reset'), null);
    assert.ok(await store.findActionToken(digests[3]!, 'reset'));
  });

  test('import of a CSV with a passlib bcrypt hash; the login upgrades it to argon2id', async () => {
    const bcrypt = await bcryptHash(PASSWORD, 4); // passlib's bcrypt format: $2b$<cost>$…
    const argon = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const csv = join(dir.path, 'users.csv');
    writeFileSync(
      csv,
      [
        'email,hashed_password,is_verified',
        `Legacy@Example.com,${bcrypt},true`,
        `"fastapi@example.com","${argon}",0`,
        `LEGACY@example.com,${bcrypt},`,
        'plain@example.com,not-a-hash-at-all,',
        `not an email,${bcrypt},`,
        '',
      ].join('\r\n'),
    );
    const run = await cli(['import', csv], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported 2, skipped 1 duplicate\(s\), 2 invalid/);
    assert.match(run.stderr, /\[#+\] 100% 5\/5/);
    assert.match(run.stderr, /line 5: hash refused: not a complete argon2 \(PHC\) or bcrypt hash/);
    assert.match(run.stderr, /line 6: invalid email/);
    assert.ok(!run.stderr.includes(bcrypt) && !run.stderr.includes('not-a-hash-at-all'), 'hashes are never printed');

    const legacy = (await store.findUserByEmail('legacy@example.com'))!;
    assert.equal(legacy.hashedPassword, bcrypt, 'kept as it is');
    assert.equal(legacy.isVerified, true);
    const app = await appOnDatabase();
    try {
      await bearerToken(app, 'legacy@example.com');
      await bearerToken(app, 'fastapi@example.com');
    } finally {
      await app.close();
    }
    assert.match((await store.findUserByEmail('legacy@example.com'))!.hashedPassword, /^\$argon2id\$/, 'upgraded at login');
    assert.match((await store.findUserByEmail('fastapi@example.com'))!.hashedPassword, new RegExp(`^\\$argon2id\\$v=19\\$m=${FAST_ARGON2.memoryCost},`));
  });

  test('import from a fastapi-users SQLite database (table "user") with Django\'s bcrypt prefix too', async () => {
    const source = join(dir.path, 'fastapi.db');
    const db = new BetterSqlite3(source);
    db.exec('CREATE TABLE "user" (id TEXT PRIMARY KEY, email TEXT, hashed_password TEXT, is_active INTEGER, is_superuser INTEGER, is_verified INTEGER)');
    const insert = db.prepare('INSERT INTO "user" VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('a', 'sqlite-user@example.com', await bcryptHash(PASSWORD, 4), 1, 0, 1);
    insert.run('b', 'django@example.com', `bcrypt$${await bcryptHash(PASSWORD, 4)}`, 0, 0, 0);
    db.close();
    // fastapi-users' SQLAlchemyBaseOAuthAccountTableUUID, provider tokens included (not imported).
    const links = new BetterSqlite3(source);
    links.exec(
      'CREATE TABLE oauth_account (id TEXT PRIMARY KEY, oauth_name TEXT, access_token TEXT, expires_at INTEGER, refresh_token TEXT, account_id TEXT, account_email TEXT, user_id TEXT)',
    );
    const link = links.prepare('INSERT INTO oauth_account VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    link.run('l1', 'github', 'gho_secret-access-token', null, null, '583231', 'SQLite-User@example.com', 'a');
    link.run('l2', 'google', 'ya29.secret', 1700000000, 'refresh-secret', '1098765', 'sqlite-user@gmail.example', 'a');
    link.run('l3', 'github', 'gho_other', null, null, '42', 'ghost@example.com', 'no-such-user');
    links.close();
    const run = await cli(['import', `sqlite:${source}`, '--table', 'user'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported 2, skipped 0 duplicate\(s\), 0 invalid/);
    assert.match(run.stdout, /linked 2 provider account\(s\), skipped 0 duplicate\(s\), 1 invalid/);
    assert.match(run.stderr, /oauth_account row 3: its user_id is not among the imported users/);
    assert.doesNotMatch(run.stdout + run.stderr, /secret/);
    const imported = (await store.findUserByEmail('sqlite-user@example.com'))!;
    const linked = await store.oauthAccounts.listOAuthAccounts(imported.id);
    assert.deepEqual(
      linked.map((a) => [a.oauthName, a.accountId, a.accountEmail]),
      [
        ['github', '583231', 'sqlite-user@example.com'],
        ['google', '1098765', 'sqlite-user@gmail.example'],
      ],
    );
    assert.equal((await store.oauthAccounts.findOAuthAccount('github', '583231'))?.userId, imported.id);
    assert.equal((await store.findUserByEmail('django@example.com'))!.isActive, false);
    const bad = await cli(['import', `sqlite:${source}`, '--table', 'user; DROP TABLE users'], { env });
    assert.equal(bad.code, 2);
  });

  const pgService = postgres();
  test('import from a PostgreSQL table', { skip: pgService.skip }, async () => {
    const database = await freshDatabase(pgService.value!, 'import');
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('CREATE TABLE users (id uuid PRIMARY KEY, email text, hashed_password text)');
      await client.query('INSERT INTO users VALUES ($1, $2, $3)', [
        '6f1c3a52-5d0e-4b8e-9a51-6d1f1b0c2a10',
        'pg-user@example.com',
        await bcryptHash(PASSWORD, 4),
      ]);
      await client.query(
        'CREATE TABLE oauth_account (id uuid PRIMARY KEY, oauth_name varchar(100), access_token varchar(1024), expires_at integer, refresh_token varchar(1024), account_id varchar(320), account_email varchar(320), user_id uuid REFERENCES users(id))',
      );
      await client.query('INSERT INTO oauth_account VALUES ($1, $2, $3, NULL, NULL, $4, $5, $6)', [
        '0b7e1d2c-1111-4a2b-8c3d-4e5f60718293',
        'google',
        'ya29.token',
        '1122334455',
        'pg-user@example.com',
        '6f1c3a52-5d0e-4b8e-9a51-6d1f1b0c2a10',
      ]);
      await client.end();
      const run = await cli(['import', database.url], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /imported 1, skipped 0 duplicate\(s\), 0 invalid/);
      assert.match(run.stdout, /linked 1 provider account\(s\)/);
      const user = await store.findUserByEmail('pg-user@example.com');
      assert.ok(user);
      assert.equal((await store.oauthAccounts.findOAuthAccount('google', '1122334455'))?.userId, user.id);
    } finally {
      await database.drop();
    }
  });
});
