import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilent, Logger } from 'pino';

type LevelMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * A request's logger whose pino child is made on its first line, not with the request.
 *
 * Fastify gives every request `logger.child({ reqId })`. With our redaction paths (a `*.password`
 * wildcard among them) pino prepares the child's bindings for redaction, about 1.5 µs a request
 * (docs/BENCHMARKS.md) — paid by every request even when, at the production level, the request
 * writes no line at all. Deferred, a request that logs pays it once, with the same bindings and
 * options, so its lines are exactly those of an eager child.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The real child, made on first use. */
  #real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options) as FastifyBaseLogger);
  }

  /** A disabled level writes nothing, so it needs no child (the parent's level is the child's). */
  #log(level: LevelMethod, args: unknown[]): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level as LevelWithSilent;
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory` for a pino logger: a deferred child ({@link DeferredChildLogger})
 * unless the route sets its own level, which the child must apply from the start.
 */
export const deferredChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = function (logger, bindings, options) {
  const parent = logger as unknown as Logger;
  if (options.level !== undefined) return parent.child(bindings, options) as FastifyBaseLogger;
  return new DeferredChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
};

/**
 * Fastify's request lines, one per request instead of two (docs/operations.md, "Logs").
 *
 * Fastify writes "incoming request" when a request arrives and "request completed" when it is
 * answered. At `info` those two writes were the largest cost left on an authenticated request
 * under load (docs/BENCHMARKS.md, "The deployment setup"). This controller writes the arrival at
 * `debug` only, and puts what it said (method, path, host, address) on the completion line beside
 * the status and the time, so `info` keeps every fact in one line per request — the access-log
 * shape of OWASP's Logging Cheat Sheet (when, where from, what, outcome).
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
