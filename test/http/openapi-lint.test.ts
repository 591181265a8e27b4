/**
 * The served OpenAPI document under Redocly CLI's recommended rules (redocly.yaml), run as CI
 * runs it: the real linter on a file, offline — telemetry and the update check switched off,
 * and any connection attempt refused and reported by test/no-network.mjs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer, readConfig } from '../../src/server.js';
import { FAST_ARGON2, ROOT, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

const REDOCLY = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const NETWORK_GUARD = join(ROOT, 'test', 'no-network.mjs');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { source: { ref: string }; pointer: string }[] }[];
}

/** Runs `redocly lint <file> --format json` with the repository's redocly.yaml, in `cwd`. */
function lint(cwd: string, file: string): Promise<{ report: LintReport; stderr: string }> {
  const child = spawn(process.execPath, ['--import', NETWORK_GUARD, REDOCLY, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], {
    cwd,
    // REDOCLY_TELEMETRY=off: no usage report; REDOCLY_SUPPRESS_UPDATE_NOTICE: no registry lookup.
    env: { PATH: process.env.PATH, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // The exit code is non-zero when there are errors; the report says which.
    child.once('close', () => {
      try {
        resolve({ report: JSON.parse(stdout) as LintReport, stderr });
      } catch {
        reject(new Error(`the linter printed no report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe("/openapi.json under Redocly CLI's recommended rules", () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let spec: Record<string, any>;

  before(async () => {
    // The provider on, so its admin routes and the RFC 9728 metadata route are linted too.
    const config = readConfig({
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'silent',
      PUBLIC_URL: 'http://127.0.0.1:8000',
      OAUTH_SERVER: 'on',
    });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    app = await buildServer(config, { logger: false });
    spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });

  after(async () => {
    await app?.close();
    dir.cleanup();
  });

  test('the served document: 0 errors, 0 warnings, nothing ignored, no network; the narrowed 4XX rule still bites', async () => {
    writeFileSync(join(dir.path, 'openapi.json'), JSON.stringify(spec));
    // A copy with the 4XX answers of one operation removed must be reported: the rule is live.
    const broken = structuredClone(spec);
    for (const status of Object.keys(broken.paths['/verify'].post.responses)) {
      if (status.startsWith('4')) delete broken.paths['/verify'].post.responses[status];
    }
    writeFileSync(join(dir.path, 'broken.json'), JSON.stringify(broken));
    // And the narrowed 2XX rule and its redirect counterpart: a sign-in route without its 302, another without its 200.
    const noSuccess = structuredClone(spec);
    delete noSuccess.paths['/oauth/{provider}/authorize'].get.responses['302'];
    delete noSuccess.paths['/users/me/accounts'].get.responses['200'];
    writeFileSync(join(dir.path, 'no-success.json'), JSON.stringify(noSuccess));

    const [served, control, successControl] = await Promise.all([
      lint(dir.path, 'openapi.json'),
      lint(dir.path, 'broken.json'),
      lint(dir.path, 'no-success.json'),
    ]);
    for (const { stderr } of [served, control, successControl]) assert.doesNotMatch(stderr, /NETWORK ATTEMPT/, 'the linter ran offline');
    assert.deepEqual(successControl.report.problems.map((problem) => [problem.ruleId, problem.location[0]?.pointer]).sort(), [
      ['rule/oauth-redirect-response', '#/paths/~1oauth~1{provider}~1authorize/get/responses'],
      ['rule/operation-2xx-response', '#/paths/~1users~1me~1accounts/get/responses'],
    ]);
    assert.deepEqual(
      served.report.problems.map((problem) => `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`),
      [],
    );
    assert.deepEqual(served.report.totals, { errors: 0, warnings: 0, ignored: 0 });
    assert.deepEqual(
      control.report.problems.map((problem) => [problem.ruleId, problem.location[0]?.pointer]),
      [['rule/operation-4xx-response', '#/paths/~1verify/post/responses']],
    );
  });

  test('what the rules ask, as clients see it: an operationId and a summary everywhere, security [] on public operations, GET /csrf', () => {
    const operations = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
    assert.ok(operations.length >= 20);
    const ids = operations.map(({ operation }) => operation.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const { name, operation } of operations) {
      assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, name);
      assert.ok(operation.summary, name);
      assert.ok(Array.isArray(operation.security), `${name} says whether it needs a token`);
    }
    const publicOperations = operations
      .filter(({ operation }) => operation.security.length === 0)
      .map(({ name }) => name)
      .sort();
    assert.deepEqual(publicOperations, [
      'GET /.well-known/oauth-protected-resource',
      'GET /csrf',
      'GET /health',
      'GET /oauth/providers',
      'GET /oauth/{provider}/authorize',
      'GET /oauth/{provider}/callback',
      'POST /forgot-password',
      'POST /login',
      'POST /login/email',
      'POST /login/email/verify',
      'POST /login/otp',
      'POST /passkeys/login',
      'POST /passkeys/login/options',
      'POST /register',
      'POST /request-verify-token',
      'POST /reset-password',
      'POST /token',
      'POST /verify',
    ]);
    assert.deepEqual(spec.servers, [{ url: '/' }]);
    assert.deepEqual(spec.info.license, { name: 'MIT', identifier: 'MIT' });
    assert.deepEqual(Object.keys(spec.paths['/token'].post.responses['401'].content['application/json'].schema.properties), [
      'detail',
      'code',
      'error',
      'error_description',
    ]);
  });
});
