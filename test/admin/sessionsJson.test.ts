import { describe, expect, it } from 'vitest';
import { sessionsJson } from '../../src/admin/sessionsJson.js';
import { session } from '../support/views.js';

async function whole(chunks: AsyncIterable<string>): Promise<string[]> {
  const parts: string[] = [];
  for await (const part of chunks) parts.push(part);
  return parts;
}

const sessions = (count: number) =>
  Array.from({ length: count }, (_, i) => session({ session: `s${i}`, user: i % 2 ? undefined : `u${i}` }));

describe('sessionsJson', () => {
  it.each([0, 1, 3, 250, 251, 600])(
    'writes %i sessions exactly as JSON.stringify(answer, null, 2) does',
    async (count) => {
      const listed = sessions(count);
      const text = (await whole(sessionsJson(count + 5, listed))).join('');
      expect(text).toBe(`${JSON.stringify({ count: count + 5, sessions: listed }, null, 2)}\n`);
    },
  );

  it('hands out 250 sessions per turn of the event loop, letting what waits run in between', async () => {
    const turns: string[] = [];
    const parts: string[] = [];
    for await (const part of sessionsJson(600, sessions(600))) {
      parts.push(part);
      // Queued now: it runs before the next slice is made only if the making waits a turn.
      setImmediate(() => turns.push(`after part ${parts.length}`));
      turns.push(`part ${parts.length}`);
    }
    expect(parts).toHaveLength(3);
    expect(turns.slice(0, 4)).toEqual(['part 1', 'after part 1', 'part 2', 'after part 2']);
  });
});
