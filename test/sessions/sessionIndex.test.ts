import { describe, expect, it } from 'vitest';
import { SessionIndex } from '../../src/sessions/sessionIndex.js';
import type { TrackedSession } from '../../src/sessions/trackedSession.js';
import { sessionKey } from '../../src/sessions/tracker.js';

function tracked(caller: string | undefined, session: string): TrackedSession {
  return {
    row: {
      id: session,
      route: 'default',
      protocol: 'cesbo',
      caller,
      session,
      firstSeen: 0,
      lastSeen: 0,
      decision: 'allow',
      by: 'backend',
      allowed: true,
    },
    key: sessionKey(caller, session),
    written: 0,
    older: undefined,
    newer: undefined,
  };
}

describe('SessionIndex', () => {
  it('finds a session by caller and session id, and by its key', () => {
    const index = new SessionIndex();
    const one = tracked('10.0.0.1', 's1');
    const other = tracked('10.0.0.2', 's1');
    index.add(one);
    index.add(other);
    expect(index.size).toBe(2);
    expect(index.get('10.0.0.1', 's1')).toBe(one);
    expect(index.get('10.0.0.2', 's1')).toBe(other);
    expect(index.get('10.0.0.3', 's1')).toBeUndefined();
    expect(index.byKey(other.key)).toBe(other);
  });

  it('tells a session without a caller apart, and a session id holding a line break', () => {
    const index = new SessionIndex();
    const callerless = tracked(undefined, 's1');
    const broken = tracked('10.0.0.1', 'a\nb');
    index.add(callerless);
    index.add(broken);
    expect(index.get(undefined, 's1')).toBe(callerless);
    expect(index.byKey(sessionKey(undefined, 's1'))).toBe(callerless);
    expect(index.byKey(broken.key)).toBe(broken);
    expect(index.get('10.0.0.1', 'a')).toBeUndefined();
  });

  it('counts a removal once, and a session not there not at all', () => {
    const index = new SessionIndex();
    const one = tracked('10.0.0.1', 's1');
    index.add(one);
    index.remove(one);
    index.remove(one);
    index.remove(tracked('10.0.0.9', 'never'));
    expect(index.size).toBe(0);
    expect(index.get('10.0.0.1', 's1')).toBeUndefined();
    index.add(one);
    expect(index.get('10.0.0.1', 's1')).toBe(one);
  });
});
