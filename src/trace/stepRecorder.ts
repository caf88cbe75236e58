import type { StepAnswer } from '../pipeline/decision.js';
import type { RouteSettings, StepName, StepWrapper } from '../pipeline/pipeline.js';
import { isSecuretokenShaped } from '../policies/securetoken.js';
import { MASK } from '../secrets.js';
import type { ViewerRequest } from '../viewer.js';
import { maskedText, type Scrub } from './mask.js';
import type { StepResult, TracedDecision, TraceStep } from './types.js';

type Seen = Record<string, string | undefined>;

/** What each step looks at, so a trace can say what it saw. */
const SAW: Readonly<Record<StepName, (viewer: ViewerRequest, settings: RouteSettings) => Seen>> = {
  publish: (_viewer, { route }) => ({ publish: route.publish }),
  'ip-rules': (viewer) => ({ ip: viewer.ip }),
  securetoken: (viewer, { securetoken }) => ({
    token:
      viewer.token === undefined
        ? undefined
        : `${MASK} (${isSecuretokenShaped(viewer.token) ? 'securetoken form' : 'not a securetoken: passes on'})`,
    ip: viewer.ip,
    ...(securetoken?.hash === 'channel' ? { channel: viewer.channel } : { path: viewer.path }),
  }),
  'local-users': (viewer) => ({
    token: viewer.token === undefined ? undefined : MASK,
    login: viewer.credentials?.login,
  }),
  'connection-limit': (viewer) => ({ session: viewer.session }),
  'token-binding': (viewer) => ({ token: viewer.token === undefined ? undefined : MASK, ip: viewer.ip }),
  cache: () => ({}),
  backends: (_viewer, { route }) => ({ backends: route.backends.join(', '), mode: route.mode }),
  default: (_viewer, { route }) => ({ default: route.default }),
};

/**
 * A trace has a store of its own, empty: what a running bridge has counted or bound is not seen, and stays as it was.
 */
const NOTES: Partial<Record<StepName, string>> = {
  'local-users': "counts a user's maxConnections in the trace's own empty store, not the running bridge's",
  'connection-limit': "counts sessions in the trace's own empty store, not the running bridge's",
  'token-binding': "looks bindings up in the trace's own empty store, not the running bridge's",
};

function known(seen: Seen, scrub: Scrub): Record<string, string> {
  return Object.fromEntries(
    Object.entries(seen)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      // A path the viewer chose can carry a token of its own (`?token=`, `md5=`): masked by name as well.
      .map(([name, value]) => [name, maskedText(value, scrub)]),
  );
}

/** A step's answer as a trace shows it; texts that came from a middleware are scrubbed of the viewer's secrets. */
export function tracedDecision(answer: StepAnswer, scrub: Scrub): TracedDecision {
  const text = (value: string | undefined) => (value === undefined ? undefined : scrub(value));
  return {
    allow: answer.allow,
    by: scrub(answer.source.by),
    redirect: text(answer.redirect),
    sessionName: text(answer.sessionName),
    userId: text(answer.answer?.userId),
    maxSessions: answer.answer?.maxSessions,
    unique: answer.answer?.unique,
    ttlSeconds: answer.ttlSeconds,
  };
}

interface OpenStep {
  step: StepName;
  saw: Record<string, string>;
  result: StepResult;
  verdict?: TracedDecision;
  note?: string;
  durationMs: number;
}

/**
 * Records each step of one traced check, in decision order: what it saw,
 * whether it decided, passed on or overruled, and its own time. The cache step
 * is replaced by one that passes on: a trace neither reads nor writes the cache.
 */
export function stepRecorder(scrub: Scrub, now: () => number): { wrapStep: StepWrapper; steps: () => TraceStep[] } {
  const recorded: OpenStep[] = [];
  const wrapStep: StepWrapper = (name, step, settings) => {
    if (name === 'cache') {
      return (check, next) => {
        recorded.push({
          step: name,
          saw: {},
          result: 'skipped',
          note: 'a trace never reads or writes the cache',
          durationMs: 0,
        });
        return next(check);
      };
    }
    return async (check, next) => {
      // Only a publishing request meets the publish rule: for a viewer it is no step at all.
      if (name === 'publish' && !check.viewer.publishing) return step(check, next);
      const entry: OpenStep = {
        step: name,
        saw: known(SAW[name](check.viewer, settings), scrub),
        result: 'unfinished',
        note: NOTES[name],
        durationMs: 0,
      };
      recorded.push(entry);
      const started = now();
      let later: StepAnswer | undefined;
      let laterMs = 0;
      const answer = await step(check, async (passed) => {
        const handedOn = now();
        try {
          later = await next(passed);
          return later;
        } finally {
          laterMs = now() - handedOn;
        }
      });
      entry.durationMs = now() - started - laterMs;
      entry.result = later === undefined ? 'decided' : answer === later ? 'passed' : 'overruled';
      if (entry.result !== 'passed') entry.verdict = tracedDecision(answer, scrub);
      return answer;
    };
  };
  return { wrapStep, steps: () => recorded.map((entry) => ({ ...entry })) };
}
