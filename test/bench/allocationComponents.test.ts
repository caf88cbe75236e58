import { describe, expect, it } from 'vitest';
import { byFile, componentsOf, type ProfileNode } from '../../bench/allocationComponents.js';

const frame = (functionName: string, url: string, selfSize: number, children: ProfileNode[] = []): ProfileNode => ({
  callFrame: { functionName, url },
  selfSize,
  children,
});

/** The root, node's parser, the bridge's handler calling writeHead, and the log. */
const PROFILE = frame('(root)', '', 0, [
  frame('parserOnIncoming', 'node:_http_server', 400, [
    frame('', 'file:///repo/src/server/decisionHandler.ts', 300, [
      frame('processHeader', 'node:_http_outgoing', 200),
      frame('pushJsonDecisionLine', 'file:///repo/src/log.ts', 150, [frame('join', '', 50)]),
    ]),
  ]),
  frame('nextTick', 'node:internal/process/task_queues', 70),
  frame('parse', 'file:///repo/node_modules/yaml/dist/parse.js', 10),
]);

describe('componentsOf', () => {
  it("gives each sample to the nearest function of the project's code on its stack, else to its own frame", () => {
    expect(componentsOf(PROFILE)).toEqual([
      ['src/server/decisionHandler.ts (anonymous)', 500],
      ['node:_http_server parserOnIncoming', 400],
      ['src/log.ts pushJsonDecisionLine', 200],
      ['node:internal/process/task_queues nextTick', 70],
      ['npm:yaml/dist/parse.js parse', 10],
    ]);
  });

  it('names what node and V8 allocated under a project function beside it, in detail', () => {
    expect(componentsOf(PROFILE, true)).toEqual([
      ['node:_http_server parserOnIncoming', 400],
      ['src/server/decisionHandler.ts (anonymous)', 300],
      ['src/server/decisionHandler.ts (anonymous) > node:_http_outgoing processHeader', 200],
      ['src/log.ts pushJsonDecisionLine', 150],
      ['node:internal/process/task_queues nextTick', 70],
      ['src/log.ts pushJsonDecisionLine > (native) join', 50],
      ['npm:yaml/dist/parse.js parse', 10],
    ]);
  });
});

describe('byFile', () => {
  it("sums a file's functions, a detail with its project file", () => {
    expect(byFile(componentsOf(PROFILE, true))).toEqual([
      ['src/server/decisionHandler.ts', 500],
      ['node:_http_server', 400],
      ['src/log.ts', 200],
      ['node:internal/process/task_queues', 70],
      ['npm:yaml/dist/parse.js', 10],
    ]);
  });
});
