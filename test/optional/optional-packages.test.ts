import Fastify from 'fastify';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { registerOpenAPI } from '../../src/http/openapi.js';
import { createSMTPMailer } from '../../src/mail/smtp-mailer.js';
import { isMissingPackage } from '../../src/optional-packages.js';
import { buildServer, readConfig } from '../../src/server.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

// Every optional peer dependency is made unresolvable in this process (the packages stay in
// node_modules for the other test files): an install that left them out.
register('./hide-packages-hooks.mjs', import.meta.url, {
  data: { hidden: ['pg', 'ioredis', 'nodemailer', '@fastify/swagger', '@fastify/swagger-ui'] },
});

describe('optional peer dependencies that are not installed', () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  const environment = (extra: Record<string, string>) =>
    readConfig({ NODE_ENV: 'test', SECRET_KEY: TEST_SECRET, DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, ...extra });

  test('a postgres:// database names "pg" to install, in the store and in the server', async () => {
    await assert.rejects(SQLStore.open('postgres://nobody@127.0.0.1:1/none'), {
      name: 'ConfigError',
      message: 'databaseUrl: postgres:// needs the optional package "pg": npm install pg',
    });
    await assert.rejects(buildServer(environment({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }), { logger: false }), {
      message: 'DATABASE_URL: postgres:// needs the optional package "pg": npm install pg',
    });
  });

  test('REDIS_URL names "ioredis" and SMTP_URL names "nodemailer"', async () => {
    await assert.rejects(buildServer(environment({ REDIS_URL: 'redis://127.0.0.1:1' }), { logger: false }), {
      message: 'REDIS_URL: redis:// needs the optional package "ioredis": npm install ioredis',
    });
    await assert.rejects(buildServer(environment({ SMTP_URL: 'smtp://127.0.0.1:1' }), { logger: false }), {
      message: 'SMTP_URL: smtp:// needs the optional package "nodemailer": npm install nodemailer',
    });
    await assert.rejects(createSMTPMailer({ url: 'smtp://127.0.0.1:1' }), { message: /"nodemailer": npm install nodemailer$/ });
  });

  test('registerOpenAPI refuses at registration, naming the Swagger package to install', async () => {
    const app = Fastify({ logger: false });
    await assert.rejects(registerOpenAPI(app), {
      message: 'registerOpenAPI: /docs needs the optional package "@fastify/swagger": npm install @fastify/swagger',
    });
    await app.close();
  });

  test('the server on SQLite runs without any of them: registers users, warns that /docs is off and answers it 404', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildServer(environment({}), { logStream });
    try {
      const registered = await app.inject({
        method: 'POST',
        url: '/register',
        payload: { email: 'lean@example.com', password: 'correct horse battery staple' },
      });
      assert.equal(registered.statusCode, 201, registered.body);
      for (const url of ['/docs', '/openapi.json']) assert.equal((await app.inject({ url })).statusCode, 404, url);
      const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((line) => line.msg.includes('/docs'));
      assert.equal(warning?.level, 40);
      assert.equal(warning?.msg, '/docs and /openapi.json are off: npm install @fastify/swagger @fastify/swagger-ui to serve them');
    } finally {
      await app.close();
    }
  });

  test('a missing dependency of an installed package is not mistaken for the package itself', () => {
    const inner = Object.assign(new Error("Cannot find package 'pg-types' imported from /app/node_modules/pg/lib/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    assert.equal(isMissingPackage(inner, 'pg'), false);
    assert.equal(isMissingPackage(Object.assign(new Error("Cannot find package 'pg' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' }), 'pg'), true);
    assert.equal(isMissingPackage(new Error("Cannot find package 'pg'"), 'pg'), false, 'only a not-found error counts');
  });
});
