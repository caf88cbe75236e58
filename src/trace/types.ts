import type { BackendErrorKind } from '../adapters/types.js';
import type { BackendType } from '../config/schema.js';
import type { StepName } from '../pipeline/pipeline.js';

/** An outbound request as sent, secrets masked. */
export interface TracedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** One backend asked during a trace. */
export interface TracedBackend {
  readonly backend: string;
  readonly type: BackendType;
  /** Undefined when the adapter decided without asking (a Ministra check without a token, say). */
  readonly request?: TracedRequest;
  readonly status?: number;
  /** The answer headers the bridge reads (`X-Session-Name`, `X-UserId`, `X-AuthDuration`, ...), as received. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly outcome: 'allow' | 'deny' | 'error';
  readonly error?: BackendErrorKind;
  readonly detail?: string;
  /** Parts of a usable answer that were ignored (a non-numeric header, say). */
  readonly notes: readonly string[];
  readonly durationMs: number;
}

/** What a step decided, as the answer would carry it. */
export interface TracedDecision {
  readonly allow: boolean;
  readonly by: string;
  readonly redirect?: string;
  readonly sessionName?: string;
  readonly userId?: string;
  readonly maxSessions?: number;
  readonly unique?: boolean;
  readonly ttlSeconds?: number;
}

/**
 * `decided`: the step answered without asking the later ones; `passed`: it
 * passed the check on and kept what the later steps decided; `overruled`: it
 * passed on, then changed what came back (a connection limit denying an
 * allow); `skipped`: a trace leaves it out; `unfinished`: the route's budget
 * ran out first.
 */
export type StepResult = 'decided' | 'passed' | 'overruled' | 'skipped' | 'unfinished';

export interface TraceStep {
  readonly step: StepName;
  /** The parts of the check this step looks at, secrets masked. */
  readonly saw: Readonly<Record<string, string>>;
  readonly result: StepResult;
  /** Set when the step decided or overruled (named `verdict` in `probe --json`'s output, kept as it is). */
  readonly verdict?: TracedDecision;
  readonly note?: string;
  /** The backends step: every backend asked, in the order they answered. */
  readonly backends?: readonly TracedBackend[];
  /** Time spent in the step itself, not in the steps after it. */
  readonly durationMs: number;
}

/** One check decided step by step, live against the middlewares and without the cache. */
export interface Trace {
  readonly route: string;
  readonly dialect: string;
  /** The viewer as the bridge read it, secrets masked. */
  readonly viewer: Readonly<Record<string, string>>;
  readonly steps: readonly TraceStep[];
  readonly decision: TracedDecision & {
    readonly status: 200 | 403;
    /** The answer's headers in the caller's dialect. */
    readonly headers: Readonly<Record<string, string>>;
  };
  /** Set when the route's time budget ran out and the default answered. */
  readonly note?: string;
  readonly durationMs: number;
}
