// Reads a `node --cpu-prof` profile and counts its samples by function (self and inclusive) and by
// owner (a package, a folder of ours), for bench/profile.ts and bench/profile-oauth.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Samples per key, and the number of samples they were counted from. */
export interface ProfileSummary {
  file: string;
  total: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
  owners: Map<string, number>;
}

/** `name ~/package/file.js:line` or `name src/…:line`. */
function frameKey(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/src\//, 'src/')}:${frame.lineNumber + 1}`;
}

/** A frame's package (`~kysely`), our source folder (`src/features/oauth-server`), or `node`. */
function ownerOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `~${pkg[1]}`;
  const ours = /\/(src\/.*)\/[^/]+$/.exec(url);
  return ours ? ours[1]! : url === '' ? '(native/gc)' : 'node';
}

/**
 * The main thread's profile in `dir` (the largest file: tsx's loader thread writes one too), counted
 * from `fromUs` microseconds after its start: only the samples taken under load.
 */
export function summarizeProfile(dir: string, fromUs: number): ProfileSummary {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((x, y) => statSync(join(dir, y)).size - statSync(join(dir, x)).size)[0]!;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  let elapsed = 0;
  const samples = profile.samples.filter((_, i) => (elapsed += profile.timeDeltas[i]!) > fromUs);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const summary: ProfileSummary = { file: join(dir, file), total: samples.length, self: new Map(), inclusive: new Map(), owners: new Map() };
  for (const id of samples) {
    const frame = byId.get(id)!.callFrame;
    count(summary.self, frameKey(frame));
    count(summary.owners, ownerOf(frame.url));
    // Inclusive: every distinct function on the sample's stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(frameKey(byId.get(at)!.callFrame));
    for (const key of seen) count(summary.inclusive, key);
  }
  return summary;
}

/** Prints the `n` largest shares of `map` under `title`. */
export function printShares(title: string, map: Map<string, number>, total: number, n: number): void {
  console.log(`\n${title}:`);
  for (const [key, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
