// The raw argon2id rate: `verify` of the bench hash with CONCURRENCY calls in flight for SECONDS,
// in its own process with the same libuv pool as the server. Prints {"verifies", "seconds", "cpuMs"} (the process's user + system CPU over the run).
import { verify } from '@node-rs/argon2';

const hash = process.env.BENCH_HASH!;
const password = process.env.BENCH_PASSWORD!;
const seconds = Number(process.env.SECONDS ?? 5);
const concurrency = Number(process.env.CONCURRENCY ?? 4);

let verifies = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const deadline = started + seconds * 1000;
async function lane(): Promise<void> {
  while (performance.now() < deadline) {
    if (!(await verify(hash, password))) throw new Error('bench hash does not verify');
    verifies += 1;
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ verifies, seconds: (performance.now() - started) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 }));
