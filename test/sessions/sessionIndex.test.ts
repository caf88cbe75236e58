import { describe, expect, it } from 'vitest';
import { SessionIndex } from '../../src/sessions/sessionIndex.js';
import type { TrackedSession } from '../../src/sessions/trackedSession.js';
import { sessionKey } from '../../src/sessions/tracker.js';

const VIEWER = '203.0.113.7';

/** A live session; `ip: null` for a notification that names no viewer address. */
function tracked(caller: string | undefined, session: string, protocol = 'srs', viewerIp: string | null = VIEWER) {
  const ip = viewerIp ?? undefined;
  const one: TrackedSession = {
    row: {
      id: session,
      route: 'default',
      protocol,
      caller,
      session,
      ip,
      firstSeen: 0,
      lastSeen: 0,
      decision: 'allow',
      by: 'backend',
      allowed: true,
    },
    key: sessionKey(protocol, caller, ip, session),
    written: 0,
    older: undefined,
    newer: undefined,
  };
  return one;
}

describe('SessionIndex', () => {
  it('finds a session by caller, session id, protocol and viewer address, and by its key', () => {
    const index = new SessionIndex();
    const one = tracked('10.0.0.1', 's1');
    const other = tracked('10.0.0.2', 's1');
    index.add(one);
    index.add(other);
    expect(index.size).toBe(2);
    expect(index.get('10.0.0.1', 's1', 'srs', VIEWER)).toBe(one);
    expect(index.get('10.0.0.2', 's1', 'srs', VIEWER)).toBe(other);
    expect(index.get('10.0.0.3', 's1', 'srs', VIEWER)).toBeUndefined();
    expect(index.byKey(other.key)).toBe(other);
  });

  it('tells apart one id from one caller in two protocols or for two viewers, and removes each alone', () => {
    const index = new SessionIndex();
    const srs = tracked('10.0.0.1', '1', 'srs');
    const rtmp = tracked('10.0.0.1', '1', 'nginx-rtmp');
    const otherViewer = tracked('10.0.0.1', '1', 'srs', '198.51.100.9');
    for (const one of [srs, rtmp, otherViewer]) index.add(one);
    expect(index.size).toBe(3);
    expect(index.get('10.0.0.1', '1', 'srs', VIEWER)).toBe(srs);
    expect(index.get('10.0.0.1', '1', 'nginx-rtmp', VIEWER)).toBe(rtmp);
    expect(index.get('10.0.0.1', '1', 'srs', '198.51.100.9')).toBe(otherViewer);
    expect(index.get('10.0.0.1', '1', 'mediamtx', VIEWER)).toBeUndefined();
    expect(index.byKey(rtmp.key)).toBe(rtmp);

    index.remove(rtmp);
    index.remove(rtmp);
    expect(index.size).toBe(2);
    expect(index.get('10.0.0.1', '1', 'nginx-rtmp', VIEWER)).toBeUndefined();
    expect(index.get('10.0.0.1', '1', 'srs', VIEWER)).toBe(srs);
    index.remove(srs);
    expect(index.get('10.0.0.1', '1', 'srs', '198.51.100.9')).toBe(otherViewer);
    index.remove(otherViewer);
    expect(index.size).toBe(0);
  });

  it('tells a session without a caller or viewer address apart, and a session id holding a line break', () => {
    const index = new SessionIndex();
    const callerless = tracked(undefined, 's1', 'srs', null);
    const broken = tracked('10.0.0.1', 'a\nb');
    index.add(callerless);
    index.add(broken);
    expect(index.get(undefined, 's1', 'srs', undefined)).toBe(callerless);
    expect(index.byKey(sessionKey('srs', undefined, undefined, 's1'))).toBe(callerless);
    expect(index.byKey(broken.key)).toBe(broken);
    expect(index.get('10.0.0.1', 'a', 'srs', VIEWER)).toBeUndefined();
    expect(index.byKey('no line break')).toBeUndefined();
  });

  it('counts a removal once, and a session not there not at all', () => {
    const index = new SessionIndex();
    const one = tracked('10.0.0.1', 's1');
    index.add(one);
    index.remove(one);
    index.remove(one);
    index.remove(tracked('10.0.0.9', 'never'));
    index.remove(tracked('10.0.0.1', 's1', 'nginx-rtmp'));
    expect(index.size).toBe(0);
    expect(index.get('10.0.0.1', 's1', 'srs', VIEWER)).toBeUndefined();
    index.add(one);
    expect(index.get('10.0.0.1', 's1', 'srs', VIEWER)).toBe(one);
  });
});
