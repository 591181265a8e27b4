/**
 * A local stand-in for the Pwned Passwords range API on 127.0.0.1: answers `GET /range/<PREFIX>`
 * from the suffixes it is given, appends padding lines (count 0) when asked with `Add-Padding`,
 * and records every request so a test can see exactly what left the process.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rangeKeyOf } from '../../../src/features/breached-passwords/sha1-range.js';
import { fillerSuffixes } from './range-fixture.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RangeAPIStandIn {
  url: string;
  requests: RecordedRequest[];
  /** Delay before each answer, in ms (a slow API). */
  delayMs: number;
  close(): Promise<void>;
}

/** `listed`: password → count (a count of 0 is written as a padding line would be). */
export async function startRangeAPIStandIn(listed: Record<string, number>): Promise<RangeAPIStandIn> {
  const ranges = new Map<string, string[]>();
  for (const [password, count] of Object.entries(listed)) {
    const { prefix, suffix } = rangeKeyOf(password);
    ranges.set(prefix, [...(ranges.get(prefix) ?? []), `${suffix}:${count}`]);
  }
  const state = { requests: [] as RecordedRequest[], delayMs: 0 };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      state.requests.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      const match = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? '');
      const answer = () => {
        if (!match) return void response.writeHead(404).end();
        const lines = [...fillerSuffixes(match[1]!, 300).map((s, i) => `${s}:${i + 1}`), ...(ranges.get(match[1]!) ?? [])];
        if (request.headers['add-padding'] === 'true') lines.push(...fillerSuffixes(`pad-${match[1]}`, 200).map((s) => `${s}:0`));
        response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.sort().join('\r\n'));
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
