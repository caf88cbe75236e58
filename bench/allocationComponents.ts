/**
 * Who allocated what, from a sampling heap profile (V8's `HeapProfiler.stopSampling`, taken with the
 * objects minor and major collections freed kept in): each sample goes to the nearest function of the
 * project's own code on its stack (`src/log.ts pushJsonDecisionLine`), else to the node internal that
 * allocated it. Bytes are the profile's estimates (a sample stands for its interval's worth).
 */

/** The parts of a sampling heap profile's node this reads. */
export interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** Bytes per component, largest first. */
export type Components = readonly (readonly [component: string, bytes: number])[];

/** Where the project's code is, in a frame's URL: `src/...` (run from the sources) or `dist/...`, not a package's. */
const OWN_CODE = /^(?!.*\/node_modules\/).*\/((?:src|dist)\/.+)$/;

function frameName(functionName: string, file: string): string {
  return `${file} ${functionName === '' ? '(anonymous)' : functionName}`;
}

/** A node internal (`node:_http_server`), an evaluated script (`[eval]`) or V8's own (`(native)`). */
function internalName({ functionName, url }: ProfileNode['callFrame']): string {
  return frameName(functionName, url === '' ? '(native)' : url.replace(/^file:\/\/.*\/node_modules\//, 'npm:'));
}

/**
 * `detail`: a sample a node internal (or V8) allocated under the project's frame is named by both
 * (`src/server/decisionHandler.ts (anonymous) > node:_http_outgoing _storeHeader`).
 */
export function componentsOf(head: ProfileNode, detail = false): Components {
  const bytes = new Map<string, number>();
  const walk = (node: ProfileNode, nearest: string | undefined) => {
    const own = OWN_CODE.exec(node.callFrame.url);
    const here = own === null ? nearest : frameName(node.callFrame.functionName, own[1]!);
    if (node.selfSize > 0) {
      const inside = own === null && here !== undefined;
      const component = inside
        ? detail
          ? `${here} > ${internalName(node.callFrame)}`
          : here
        : (here ?? internalName(node.callFrame));
      bytes.set(component, (bytes.get(component) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(head, undefined);
  return [...bytes].sort(([, a], [, b]) => b - a);
}

/** The components of one file summed: `src/log.ts pushPair` and `src/log.ts pushJsonDecisionLine` are `src/log.ts`; a detail goes to its project file. */
export function byFile(components: Components): Components {
  const bytes = new Map<string, number>();
  for (const [component, size] of components) {
    const file = component.slice(0, component.indexOf(' '));
    bytes.set(file, (bytes.get(file) ?? 0) + size);
  }
  return [...bytes].sort(([, a], [, b]) => b - a);
}
