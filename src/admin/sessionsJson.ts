import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LiveSession } from './views.js';

/**
 * Sessions made into JSON per turn of the event loop (a few ms here). A whole list of 100,000
 * takes about a second to build and write (bench/sessions.ts); made in one turn, as it was, it
 * held every check that long, and a streaming server with a 1-2 s auth timeout lets viewers in.
 */
const SESSIONS_PER_TURN = 250;

/**
 * `/admin/sessions`' answer `{count, sessions}` as `JSON.stringify(answer, null, 2)` writes it,
 * made and handed out a slice of sessions at a time, each slice in a later turn of the event loop.
 */
export async function* sessionsJson(count: number, sessions: Iterable<LiveSession>): AsyncGenerator<string> {
  let text = `{\n  "count": ${count},\n  "sessions": [`;
  let listed = 0;
  for (const session of sessions) {
    text += `${listed === 0 ? '' : ','}\n    ${JSON.stringify(session, null, 2).replaceAll('\n', '\n    ')}`;
    if (++listed % SESSIONS_PER_TURN === 0) {
      yield text;
      text = '';
      await nextTurn();
    }
  }
  yield `${text}${listed === 0 ? ']' : '\n  ]'}\n}\n`;
}
