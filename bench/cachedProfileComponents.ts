/**
 * Where a server's CPU went, from a V8 CPU profile (`Profiler.stop`): each sample goes to the
 * component of the innermost project frame on its stack (`src/log.ts` is the decision log line);
 * node's own work under the request handler (writeHead, end) is the answer's write, and a sample
 * with no project frame on its stack is node core's, named by what node was doing (parsing, reading
 * the socket, finishing a write). The raw server's handler (`[eval]`) counts as a request handler, so
 * both servers' profiles read in the same words.
 */

/** The parts of a CPU profile this reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Microseconds per component, largest first. */
export type Timed = readonly (readonly [component: string, micros: number])[];

const HANDLER = 'request handler (bridge code)';
const ANSWER_WRITE = 'answer written: writeHead + end (node core)';
/** Node's own functions under the handler that are not its answer's write (the control's clock reads, say). */
const UNDER_HANDLER = 'node core under the handler, other';
/** The functions an answer is written through, as the handler calls them. */
const WRITES = /^(writeHead|end|write|_send|_writeRaw|_storeHeader)$/;

/** Project files by component; the first that matches names a frame's. */
const PROJECT: readonly (readonly [RegExp, string])[] = [
  [/\/src\/server\/answerHeads\.ts$/, 'answer headers'],
  [/\/src\/(log|stdoutBatch)\.ts$/, 'decision log line'],
  [/\/src\/secrets\.ts$/, 'token fingerprint (log line)'],
  [/\/src\/pipeline\/cacheKey\.ts$/, 'cache key'],
  [/\/src\/(pipeline\/steps\/cache|pipeline\/cachedDecision|store\/\w+)\.ts$/, 'cache step + store lookup'],
  [/\/src\/pipeline\//, 'decider + other steps'],
  [/\/src\/metrics\//, 'metrics'],
  [/\/src\/sessions\//, 'sessions'],
  [/\/src\/observe\.ts$/, 'observers'],
  [/\/src\/(protocols\/|viewer\.ts|headerText\.ts|requestProblem\.ts)/, 'reading the viewer (protocol)'],
  [/\/src\/server\/decisionHandler\.ts$/, HANDLER],
  [/\/src\/server\//, 'routing + app'],
  [/\/src\//, 'other bridge code'],
];

/** Helpers whose cost is their caller's (a memo serves the cache key and the fingerprint alike). */
const TRANSPARENT = /\/src\/memo\.ts$/;

/** What node core was doing, by a function on the stack of a sample without project frames. */
const CORE: readonly (readonly [RegExp, string])[] = [
  [/^(parserOnHeadersComplete|parserOnIncoming|parserOnMessageComplete)$/, 'HTTP parse + request objects (node core)'],
  [
    /^(afterWrite|onwrite|afterWriteDispatched|writeGeneric|writevGeneric|_write|resOnFinish|onFinish)$/,
    'write done + response finished (node core)',
  ],
  [/^(onStreamRead|socketOnData|readableAddChunk)$/, 'socket read + parse (node core)'],
  [
    /^(processTicksAndRejections|runMicrotasks|processImmediate|listOnTimeout)$/,
    'ticks, immediates, timers (node core)',
  ],
];

function componentOf(url: string): string | undefined {
  if (url === '[eval]' || url.endsWith('[eval]')) return HANDLER;
  if (TRANSPARENT.test(url) || url.includes('/node_modules/')) return undefined;
  return PROJECT.find(([pattern]) => pattern.test(url))?.[1];
}

/** Time by component, and by the leaf function (`component < function file`), idle left out. */
export function profileComponents(profile: CpuProfile): { readonly components: Timed; readonly leaves: Timed } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, string | undefined>();
  const classify = (id: number): string | undefined => {
    if (memo.has(id)) return memo.get(id);
    const leaf = byId.get(id)!.callFrame.functionName;
    let component: string | undefined;
    if (leaf === '(idle)') component = undefined;
    else if (leaf === '(garbage collector)') component = 'GC';
    else if (leaf === '(program)') component = 'native, outside JS (event loop, syscalls)';
    else {
      let underNode = false;
      let underWrite = false;
      let core: string | undefined;
      for (let at: number | undefined = id; at !== undefined && component === undefined; at = parent.get(at)) {
        const { functionName, url } = byId.get(at)!.callFrame;
        component = componentOf(url);
        if (component === undefined && url.startsWith('node:')) {
          underNode = true;
          underWrite ||= url.startsWith('node:_http_') && WRITES.test(functionName);
          core ??= CORE.find(([pattern]) => pattern.test(functionName))?.[1];
        }
      }
      if (component === HANDLER && underNode) component = underWrite ? ANSWER_WRITE : UNDER_HANDLER;
      component ??= core ?? 'node core, other';
    }
    memo.set(id, component);
    return component;
  };
  const components = new Map<string, number>();
  const leaves = new Map<string, number>();
  // A sample's time is the delta that follows it.
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const id = profile.samples[i]!;
    const component = classify(id);
    if (component === undefined) continue;
    const micros = profile.timeDeltas[i + 1]!;
    components.set(component, (components.get(component) ?? 0) + micros);
    const { functionName, url } = byId.get(id)!.callFrame;
    const leaf = `${component} < ${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|node_modules)\//, '$1/')}`;
    leaves.set(leaf, (leaves.get(leaf) ?? 0) + micros);
  }
  const sorted = (times: Map<string, number>): Timed => [...times].sort(([, a], [, b]) => b - a);
  return { components: sorted(components), leaves: sorted(leaves) };
}
