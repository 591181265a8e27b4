// A login storm from its own process: autocannon POST /token with CONNECTIONS connections for
// SECONDS, so the probe measuring /users/me latency does not share an event loop with it.
import { load } from '../lib/load.js';

const url = process.env.TARGET_URL!;
const body = new URLSearchParams({ username: process.env.LOGIN_EMAIL!, password: process.env.BENCH_PASSWORD! }).toString();
const result = await load({
  url,
  connections: Number(process.env.CONNECTIONS ?? 8),
  durationSeconds: Number(process.env.SECONDS ?? 5),
  requests: [{ method: 'POST', path: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }],
});
console.log(JSON.stringify(result));
