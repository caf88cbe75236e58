import { describe, expect, it } from 'vitest';
import type { CachedDecision } from '../../src/pipeline/cachedDecision.js';
import { backendSource, type Decision, policySource } from '../../src/pipeline/decision.js';
import { cesboCaller } from '../../src/protocols/cesbo.js';
import { flussonicCaller } from '../../src/protocols/flussonic.js';
import { answerHeads } from '../../src/server/answerHeads.js';

const ENTRY: CachedDecision = { allow: true, backend: 'mw', freshUntil: 0, sessionName: 'box-1', userId: '42' };

/** A hit of `entry` as the cache step hands it on: the entry itself as the backend's answer. */
function hit(entry: CachedDecision, ttlSeconds = 100): Decision {
  const { allow, sessionName, redirect } = entry;
  return { allow, sessionName, redirect, source: backendSource('mw'), answer: entry, cache: 'hit', ttlSeconds };
}

describe('answerHeads', () => {
  it("is the protocol's decision headers, then the plain-text body's type and length", () => {
    expect(answerHeads(cesboCaller)(hit(ENTRY))).toEqual([
      'X-Session-Name',
      'box-1',
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      '6',
    ]);
    const deny = { allow: false, backend: 'mw', freshUntil: 0, redirect: 'http://promo.example/' };
    expect(answerHeads(cesboCaller)(hit(deny))).toEqual([
      'X-Location',
      'http://promo.example/',
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      '5',
    ]);
  });

  it('prepares the head of a cached decision once for every hit of it', () => {
    const headOf = answerHeads(cesboCaller);
    const first = headOf(hit(ENTRY));
    expect(headOf(hit(ENTRY))).toBe(first);
    expect(headOf(hit({ ...ENTRY }))).not.toBe(first);
  });

  it('prepares it again when the head says the remaining lifetime and that changed (Flussonic)', () => {
    const headOf = answerHeads(flussonicCaller);
    const first = headOf(hit(ENTRY, 100));
    expect(first).toEqual(expect.arrayContaining(['X-AuthDuration', '100', 'X-UserId', '42']));
    expect(headOf(hit(ENTRY, 100))).toBe(first);
    const later = headOf(hit(ENTRY, 99));
    expect(later).toEqual(expect.arrayContaining(['X-AuthDuration', '99']));
    expect(headOf(hit(ENTRY, 99))).toBe(later);
  });

  it('builds the head of any other decision for it alone', () => {
    const headOf = answerHeads(cesboCaller);
    const decided: Decision = { allow: true, source: backendSource('mw'), sessionName: 'box-1', ttlSeconds: 100 };
    expect(headOf(decided)).toEqual(headOf(decided));
    expect(headOf(decided)).not.toBe(headOf(decided));
    const stale = { ...hit(ENTRY), cache: 'stale' as const };
    expect(headOf(stale)).not.toBe(headOf(stale));
    // A connection-limit deny of a cached allow: a hit, but its answer its own, so it takes no prepared head's place.
    const overLimit = { ...hit(ENTRY), allow: false, source: policySource('connection-limit') };
    const prepared = headOf(hit(ENTRY));
    expect(headOf(overLimit)).not.toBe(headOf(overLimit));
    expect(headOf(hit(ENTRY))).toBe(prepared);
  });

  it('keeps the heads of at most so many cached decisions, starting over when full', () => {
    const headOf = answerHeads(cesboCaller, 2);
    const [a, b, c] = [{ ...ENTRY }, { ...ENTRY }, { ...ENTRY }];
    const headOfA = headOf(hit(a));
    headOf(hit(b));
    expect(headOf(hit(a))).toBe(headOfA);
    // A third decision: the table starts over, so a's head is prepared again, once.
    headOf(hit(c));
    const again = headOf(hit(a));
    expect(again).not.toBe(headOfA);
    expect(again).toEqual(headOfA);
    expect(headOf(hit(a))).toBe(again);
  });
});
