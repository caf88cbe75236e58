import { describe, expect, it } from 'vitest';
import { fromCached, STALE_RECHECK_SECONDS, toCached } from '../../src/pipeline/cachedDecision.js';
import { backendSource, type StepAnswer } from '../../src/pipeline/decision.js';

const source = backendSource('mw');
const sources = new Map([['mw', source]]);
const NOW = 1_700_000_000_000;

const allow: StepAnswer = {
  allow: true,
  source,
  answer: { sessionName: 'alice', userId: '42', maxSessions: 2, unique: true, authDuration: 600 },
  sessionName: 'alice',
  ttlSeconds: 600,
};

describe('the cached form of a decision', () => {
  it('keeps no user fields for an answer that names no middleware user', () => {
    const plain: StepAnswer = { allow: true, source, answer: { sessionName: 'bob' }, sessionName: 'bob' };
    expect(toCached(plain, 'mw', 60, NOW)).toEqual({
      allow: true,
      backend: 'mw',
      freshUntil: NOW + 60_000,
      sessionName: 'bob',
    });
    const deny: StepAnswer = { allow: false, source, answer: {}, redirect: 'http://promo/' };
    expect(toCached(deny, 'mw', 60, NOW)).toEqual({
      allow: false,
      backend: 'mw',
      freshUntil: NOW + 60_000,
      redirect: 'http://promo/',
    });
  });

  it('keeps what the answer and its headers need, flat, as plain JSON', () => {
    const entry = toCached(allow, 'mw', 600, NOW);
    expect(entry).toEqual({
      allow: true,
      backend: 'mw',
      freshUntil: NOW + 600_000,
      sessionName: 'alice',
      redirect: undefined,
      userId: '42',
      maxSessions: 2,
      unique: true,
    });
    // As Redis hands it back: the undefined fields are gone, the decision is the same.
    const fromJson = JSON.parse(JSON.stringify(entry)) as typeof entry;
    expect(fromCached(fromJson, 'hit', NOW, sources)).toEqual(fromCached(entry, 'hit', NOW, sources));
  });

  it('reads back as the decision it stands for, the entry itself as the backend answer and the shared source', () => {
    const entry = toCached(allow, 'mw', 600, NOW);
    const hit = fromCached(entry, 'hit', NOW + 100_500, sources);
    expect(hit).toMatchObject({ allow: true, sessionName: 'alice', cache: 'hit', ttlSeconds: 500 });
    expect(hit.source).toBe(source);
    expect(hit.answer).toBe(entry);
    expect(hit.answer).toMatchObject({ userId: '42', maxSessions: 2, unique: true });
  });

  it('tells the streaming server to ask again soon for a stale allow, and never says less than a second', () => {
    const entry = toCached(allow, 'mw', 1, NOW);
    expect(fromCached(entry, 'stale', NOW + 60_000, sources).ttlSeconds).toBe(STALE_RECHECK_SECONDS);
    expect(fromCached(entry, 'hit', NOW + 999, sources).ttlSeconds).toBe(1);
  });

  it('names a backend this instance does not have, for an entry another instance stored', () => {
    const entry = toCached(
      { allow: false, source: backendSource('other'), redirect: 'http://promo/' },
      'other',
      60,
      NOW,
    );
    expect(fromCached(entry, 'hit', NOW, sources)).toMatchObject({
      allow: false,
      redirect: 'http://promo/',
      source: { kind: 'backend', backend: 'other', by: 'backend:other' },
    });
  });
});
