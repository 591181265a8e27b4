import autocannon from 'autocannon';

/** One request template autocannon sends; rotated through per connection. */
export interface RequestSpec {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  requests: RequestSpec[];
  connections: number;
  durationSeconds: number;
  /** Record every 2xx latency (float ms) for exact percentiles; autocannon's own are whole ms. */
  recordLatencies?: boolean;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  /** Responses that were not 2xx, and socket errors/timeouts. */
  non2xx: number;
  errors: number;
  /** Latencies in ms of 2xx responses when `recordLatencies` was set. */
  latencies: number[];
}

/** Drives `url` with autocannon for `durationSeconds`, cycling through `requests`. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: options.requests.map((r) => ({ method: r.method ?? 'GET', path: r.path, headers: r.headers, body: r.body })),
  });
  if (options.recordLatencies) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  }
  const result = await instance;
  const ok = result['2xx'];
  return {
    rps: ok / (result.duration || options.durationSeconds),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencies,
  };
}
