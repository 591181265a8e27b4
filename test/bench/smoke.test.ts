import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BEGIN_MARK, END_MARK, spliceReport, verdict } from '../../bench/lib/report.js';
import { tsxArgs } from '../../bench/lib/process.js';
import { median, quantile } from '../../bench/lib/stats.js';
import { tempDir } from '../support/temp.js';

// Speed is never asserted here: only that the harness runs end to end and reports well-formed tables.
describe('npm run bench (smoke mode)', () => {
  test('starts the servers, drives them and writes a well-formed table', () => {
    const dir = tempDir('fastify-users-bench-test-');
    try {
      const out = join(dir.path, 'BENCHMARKS.md');
      // Under `npm test`, the run's compiled copy, as every server the bench starts then is (bench/lib/process.ts, tsxArgs).
      const run = spawnSync(process.execPath, [...tsxArgs('bench/run.ts'), '--smoke', `--out=${out}`], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(run.status, 0, `bench exited ${run.status}: ${run.stderr}`);
      const number = String.raw`[\d,.]+`;
      assert.match(run.stdout, /\| # \| row \| check \| value \| target \| verdict \|/);
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| Bearer throughput \| ours / bare Fastify \| ${number} × \| ≥ 0\.6 × \| (PASS|FAIL) \|`));
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| bare Fastify GET /users/me \(ceiling\) \| ${number} req/s \|`));
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| ours GET /users/me, bearer \| ${number} req/s \|`));
      // The yardstick runs beside them, and answered the same body (the harness checks that before measuring).
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| hand-written check GET /users/me, bearer \| ${number} req/s \|`));
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| Bearer throughput \| ours / hand-written check \| ${number} × \| ≥ 1 × \| (PASS|FAIL) \|`));
      // And our own server without its session cache, for what the cache buys (docs/session-cache.md).
      assert.match(run.stdout, new RegExp(String.raw`\| 1 \| ours with SESSION_CACHE=off GET /users/me, bearer \| ${number} req/s \|`));
      const doc = readFileSync(out, 'utf8');
      assert.ok(doc.includes(BEGIN_MARK) && doc.includes(END_MARK));
      assert.match(doc, /nproc \d+; [\d.]+ GiB memory; Node v\d+/);
      assert.match(doc, /\| 1 \| Bearer throughput \| ours \/ bare Fastify \|/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('bench report helpers', () => {
  test('spliceReport replaces only the generated block and keeps the hand-written text', () => {
    const first = spliceReport(null, 'run one');
    const edited = `${first}\n## What each optimisation bought\nhand-written\n`;
    const second = spliceReport(edited, 'run two');
    assert.ok(second.includes('run two') && !second.includes('run one'));
    assert.ok(second.includes('hand-written'));
  });

  test('verdicts follow the target direction; no target means no verdict', () => {
    assert.equal(verdict({ label: 'r', value: 0.7, unit: 'x', target: { op: '>=', value: 0.6 } }), 'PASS');
    assert.equal(verdict({ label: 'r', value: 0.5, unit: 'x', target: { op: '>=', value: 0.6 } }), 'FAIL');
    assert.equal(verdict({ label: 'p', value: 25, unit: 'ms', target: { op: '<=', value: 20 } }), 'FAIL');
    assert.equal(verdict({ label: 'p', value: 1, unit: 'x' }), '—');
  });

  test('median and quantile', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(quantile([5, 1, 4, 2, 3], 0.5), 3);
    assert.equal(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
      99,
    );
  });
});
