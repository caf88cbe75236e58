import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { trackedCheckOf } from '../../src/sessions/trackedCheck.js';
import { sketched } from '../support/decisions.js';

const answered: CheckAnswered = {
  route: 'default',
  protocol: 'mediamtx',
  caller: '10.0.0.1',
  viewer: {
    dialect: 'mediamtx',
    rawQuery: 'token=t1&lang=en',
    token: 't1',
    auth: 'anna:pw',
    credentials: { login: 'anna', password: 'pw' },
    session: 's1',
    ip: '203.0.113.7',
    channel: 'a001',
    path: '/live/a001',
    userAgent: 'VLC/3.0',
  },
  decision: sketched({
    allow: true,
    decidedBy: 'backend:portal',
    sessionName: 'anna-box',
    userId: '42',
    maxSessions: 2,
    unique: true,
    redirect: 'http://promo/',
  }),
  outcome: 'allow',
  by: 'backend',
  cache: 'hit',
  status: 200,
  durationMs: 1,
};

describe('trackedCheckOf', () => {
  it("keeps what the session tracker reads of a check, and nothing else (no password, query, path or the decision's lifetime)", () => {
    expect(trackedCheckOf(answered)).toEqual({
      route: 'default',
      protocol: 'mediamtx',
      durationMs: answered.durationMs,
      caller: '10.0.0.1',
      by: 'backend',
      viewer: {
        session: 's1',
        channel: 'a001',
        ip: '203.0.113.7',
        userAgent: 'VLC/3.0',
        token: 't1',
        credentials: { login: 'anna' },
      },
      decision: {
        allow: true,
        source: answered.decision!.source,
        sessionName: 'anna-box',
        countedAs: undefined,
        answer: { userId: '42', maxSessions: 2, unique: true },
      },
    });
  });

  it('is undefined for a check that counts in no session: no session id, or refused before a decision', () => {
    expect(trackedCheckOf({ ...answered, viewer: { ...answered.viewer!, session: undefined } })).toBeUndefined();
    expect(trackedCheckOf({ ...answered, viewer: { ...answered.viewer!, session: '' } })).toBeUndefined();
    expect(trackedCheckOf({ ...answered, decision: undefined, outcome: 'refused', by: 'refused' })).toBeUndefined();
    expect(trackedCheckOf({ ...answered, viewer: undefined })).toBeUndefined();
  });
});
