import type { Trace, TracedBackend, TracedDecision, TraceStep } from './types.js';

/** Plain text as it is; anything else quoted, so a value from a middleware cannot drive the terminal. */
function shown(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : JSON.stringify(value);
}

function pairs(values: Readonly<Record<string, string>>, separator = ' '): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${shown(value)}`)
    .join(separator);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

function decisionText(decided: TracedDecision): string {
  const extras = [
    decided.sessionName !== undefined ? `session name ${shown(decided.sessionName)}` : undefined,
    decided.redirect !== undefined ? `redirect ${shown(decided.redirect)}` : undefined,
    decided.userId !== undefined ? `user id ${shown(decided.userId)}` : undefined,
    decided.maxSessions !== undefined ? `max sessions ${decided.maxSessions}` : undefined,
    decided.ttlSeconds !== undefined ? `valid ${decided.ttlSeconds} s` : undefined,
  ].filter((extra) => extra !== undefined);
  return `${decided.allow ? 'allow' : 'deny'} by ${shown(decided.by)}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}

const RESULT_TEXT: Record<TraceStep['result'], string> = {
  decided: 'decided',
  passed: 'passed on',
  overruled: 'overruled what came back',
  skipped: 'skipped',
  unfinished: 'did not finish within the route budget',
};

function backendLines(asked: TracedBackend): string[] {
  const what = asked.outcome === 'error' ? `error ${asked.error}: ${shown(asked.detail ?? '')}` : asked.outcome;
  const status = asked.status === undefined ? '' : `, status ${asked.status}`;
  const lines = [`     ${asked.backend} (${asked.type}): ${what}${status}, ${ms(asked.durationMs)}`];
  if (!asked.request) lines.push('       not asked: the adapter decided without the middleware');
  else {
    lines.push(`       sent: ${asked.request.method} ${shown(asked.request.url)}`);
    if (Object.keys(asked.request.headers).length > 0)
      lines.push(`       headers sent: ${pairs(asked.request.headers, ', ')}`);
  }
  if (asked.headers)
    lines.push(`       headers read: ${Object.keys(asked.headers).length > 0 ? pairs(asked.headers, ', ') : 'none'}`);
  for (const note of asked.notes) lines.push(`       note: ${shown(note)}`);
  return lines;
}

function stepLines(step: TraceStep, index: number): string[] {
  const decided = step.verdict ? `: ${decisionText(step.verdict)}` : '';
  const lines = [
    `${index + 1}. ${step.step.padEnd(17)}${RESULT_TEXT[step.result]}${decided}  [${ms(step.durationMs)}]`,
  ];
  if (Object.keys(step.saw).length > 0) lines.push(`     saw: ${pairs(step.saw)}`);
  if (step.note) lines.push(`     note: ${step.note}`);
  for (const asked of step.backends ?? []) lines.push(...backendLines(asked));
  if (step.backends?.length === 0) lines.push('     no backend asked');
  return lines;
}

/** A trace for a person reading a terminal: the viewer, each step in order, the answer. */
export function formatTrace(trace: Trace): string {
  const { decision } = trace;
  const answerHeaders =
    Object.keys(decision.headers).length > 0 ? `\n   headers: ${pairs(decision.headers, ', ')}` : '';
  return [
    `route ${trace.route}, ${trace.dialect} caller; cache not used`,
    `viewer: ${pairs(trace.viewer) || '(nothing but the query)'}`,
    '',
    ...trace.steps.flatMap(stepLines),
    '',
    ...(trace.note ? [`note: ${trace.note}`] : []),
    `answer: ${decision.status} ${decisionText(decision)} in ${ms(trace.durationMs)}${answerHeaders}`,
    '',
  ].join('\n');
}
