import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { PasswordContext } from '../../src/core/password.js';
import { breachedPasswordScreen } from '../../src/features/breached-passwords/breached-screen.js';
import { checkRangeFolder } from '../../src/features/breached-passwords/folder-check.js';
import { prefixOf, RANGE_COUNT, rangeKeyOf } from '../../src/features/breached-passwords/sha1-range.js';
import { fillerSuffixes } from '../../test/features/breached-passwords/range-fixture.js';
import type { BenchContext } from '../lib/context.js';
import type { RowReport } from '../lib/report.js';
import { median, quantile } from '../lib/stats.js';

/** Lines in each file a lookup opens: a real range file holds about a thousand. */
const LINES_PER_FILE = 1000;

/**
 * Row 10: what the range-file breached-password check adds to a registration — the check runs
 * once, before the hash, so its own latency is what a registration gains. On a folder of all
 * 1,048,576 range files (smoke: 4,096): sparse — every file exists, empty, except the files of
 * the passwords looked up, which hold 1,000 sorted lines like a real one. Measured idle, and
 * while four argon2id hashes (OWASP parameters, the hashing limit's default) run back to back,
 * as during a burst of registrations. Also times `check-breached-passwords` over the folder.
 */
export async function breachedRow(ctx: BenchContext): Promise<RowReport> {
  const full = ctx.config.mode !== 'smoke';
  const files = full ? RANGE_COUNT : 4096;
  const lookups = full ? 2000 : 300;
  const folder = join(ctx.dir, 'pwned');
  mkdirSync(folder, { recursive: true });

  // Passwords whose prefix is among the folder's files (all of them in full mode).
  const passwords: string[] = [];
  for (let i = 0; passwords.length < lookups; i++) {
    const password = `bench registration password ${i}`;
    if (Number.parseInt(rangeKeyOf(password).prefix, 16) < files) passwords.push(password);
  }
  const written = performance.now();
  const filled = new Set<string>();
  for (const password of passwords) {
    const { prefix, suffix } = rangeKeyOf(password);
    if (filled.has(prefix)) continue;
    filled.add(prefix);
    // Every other password is listed: half the lookups find their line, half do not.
    const lines = fillerSuffixes(prefix, LINES_PER_FILE).map((s, i) => `${s}:${i + 1}`);
    if (passwords.indexOf(password) % 2 === 0) lines.push(`${suffix}:7`);
    writeFileSync(join(folder, `${prefix}.txt`), lines.sort().join('\r\n'));
  }
  for (let i = 0; i < files; i++) {
    const prefix = prefixOf(i);
    if (!filled.has(prefix)) closeSync(openSync(join(folder, `${prefix}.txt`), 'w'));
  }
  const writeSeconds = (performance.now() - written) / 1000;

  const checkStarted = performance.now();
  const report = await checkRangeFolder(folder);
  const checkSeconds = (performance.now() - checkStarted) / 1000;
  if (full && report.missingCount !== 0) throw new Error(`generated folder incomplete: ${report.missingCount} missing`);

  const screen = breachedPasswordScreen({ kind: 'range-folder', folder }, pino({ enabled: false }));
  let found = 0;
  const measure = async (): Promise<number[]> => {
    const samples: number[] = [];
    found = 0;
    for (const password of passwords) {
      const started = performance.now();
      if ((await screen.screen(password)) !== null) found += 1;
      samples.push(performance.now() - started);
    }
    return samples;
  };
  await measure(); // warm-up: JIT, and the files into the page cache as a running server has them
  const idle = await measure();

  const hashing = new PasswordContext();
  let stop = false;
  const hashers = Array.from({ length: 4 }, async () => {
    while (!stop) await hashing.hashPassword('a registration being hashed meanwhile');
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const busy = await measure();
  // The control: a spin of the check's median length, no I/O, under the same load. On two cores
  // with four hash threads the event loop is descheduled now and then, whatever it runs; what the
  // control shows at p99 is that floor, not the check.
  const spin = median(idle);
  const control: number[] = [];
  for (let i = 0; i < passwords.length; i++) {
    const started = performance.now();
    while (performance.now() - started < spin);
    control.push(performance.now() - started);
    await new Promise((resolve) => setImmediate(resolve));
  }
  stop = true;
  await Promise.all(hashers);

  const ms = (values: number[], q: number) => (q === 0.5 ? median(values) : quantile(values, q));
  return {
    id: 10,
    title: 'Breached-password check (range files)',
    metrics: [
      { label: 'check per registration, idle, p50', value: ms(idle, 0.5), unit: 'ms' },
      { label: 'check per registration, idle, p99', value: ms(idle, 0.99), unit: 'ms' },
      { label: 'check per registration, 4 hashes running, p50', value: ms(busy, 0.5), unit: 'ms' },
      { label: 'check per registration, 4 hashes running, p99', value: ms(busy, 0.99), unit: 'ms' },
      { label: 'control: a spin as long as the check, 4 hashes running, p99', value: ms(control, 0.99), unit: 'ms' },
      { label: `check-breached-passwords over ${files.toLocaleString('en')} files`, value: checkSeconds, unit: 's' },
    ],
    checks: [
      { label: 'added to a registration at p99 (idle)', value: ms(idle, 0.99), unit: 'ms', target: full ? { op: '<=', value: 1 } : undefined },
      { label: 'added to a registration at p99 (4 hashes running; see the control)', value: ms(busy, 0.99), unit: 'ms' },
    ],
    notes: [
      `${files.toLocaleString('en')} range files (written in ${writeSeconds.toFixed(0)} s), ${filled.size} of them with ${LINES_PER_FILE} lines, the rest empty; ${lookups} lookups of distinct passwords per measurement, ${found} of them listed; the files were read once before (page cache warm, as on a running server).`,
      `check-breached-passwords found ${report.present.toLocaleString('en')} files, ${report.missingCount} missing.`,
      ...(full ? [] : ['smoke mode: 4,096 files, no target.']),
    ],
  };
}
