import { describe, expect, it } from 'vitest';
import { decisionKeyOf, REMEMBERED_KEYS } from '../../src/pipeline/cacheKey.js';
import type { ViewerRequest } from '../../src/viewer.js';

const PARTS = ['token', 'ip', 'channel'] as const;
const viewer = (token: string, publishing?: true): ViewerRequest => ({
  dialect: 'cesbo',
  rawQuery: `token=${token}`,
  token,
  ip: '203.0.113.1',
  channel: 'a001',
  publishing,
});

describe('remembered cache keys', () => {
  it('are the keys a fresh key function makes, before and after the memo starts over', () => {
    const remembering = decisionKeyOf(PARTS);
    const first = remembering('default', viewer('t-0'));
    for (let i = 1; i <= REMEMBERED_KEYS + 1; i++) remembering('default', viewer(`t-${i}`));
    expect(remembering('default', viewer('t-0'))).toBe(first);
    expect(decisionKeyOf(PARTS)('default', viewer('t-0'))).toBe(first);
    expect(first).toMatch(/^d:default:[A-Za-z0-9_-]{22}$/);
  });

  it('keep routes, and publishing and viewing, apart whichever comes first', () => {
    const publishFirst = decisionKeyOf(PARTS);
    const published = publishFirst('default', viewer('t', true));
    const viewed = publishFirst('default', viewer('t'));
    const elsewhere = publishFirst('other', viewer('t'));
    const viewFirst = decisionKeyOf(PARTS);
    expect(viewFirst('other', viewer('t'))).toBe(elsewhere);
    expect(viewFirst('default', viewer('t'))).toBe(viewed);
    expect(viewFirst('default', viewer('t', true))).toBe(published);
    expect(published).toMatch(/^d:default:publish:/);
    expect(new Set([published, viewed, elsewhere]).size).toBe(3);
  });

  it('a long key (a viewer-chosen 8 KiB token) gets the same key as a fresh function makes, remembered or not', () => {
    const long = 'x'.repeat(8192);
    const remembering = decisionKeyOf(PARTS);
    const first = remembering('default', viewer(long));
    expect(remembering('default', viewer(long))).toBe(first);
    expect(decisionKeyOf(PARTS)('default', viewer(long))).toBe(first);
    expect(first).not.toBe(remembering('default', viewer(`${long}y`)));
  });

  it("are found by the viewer's values: each viewer gets a fresh function's key, in either order, one value apart", () => {
    // What an `http` backend's route is keyed by.
    const parts = ['query', 'ip', 'channel', 'archive', 'session', 'userAgent', 'host', 'origin'] as const;
    const base: ViewerRequest = {
      dialect: 'cesbo',
      rawQuery: 'token=t',
      ip: '203.0.113.1',
      channel: 'a001',
      path: '/live/a001/index.m3u8',
      session: '1',
    };
    const viewers: ViewerRequest[] = [
      base,
      { ...base, rawQuery: '' },
      { ...base, rawQuery: 'token=t&x=1' },
      { ...base, session: undefined },
      { ...base, session: '' },
      { ...base, channelId: 'a001' },
      { ...base, path: '/premium/a001/index.m3u8' },
      { ...base, path: '/live/a001/index-1700000000-3600.m3u8' },
      { ...base, path: '/live/a001/seg-2.ts' },
      { ...base, userAgent: 'player' },
      { ...base, publishing: true },
    ];
    const fresh = viewers.map((viewer) => decisionKeyOf(parts)('default', viewer));
    for (const order of [viewers, [...viewers].reverse()]) {
      const remembering = decisionKeyOf(parts);
      for (const round of [1, 2])
        for (const viewer of order)
          expect(remembering('default', viewer), `round ${round}`).toBe(fresh[viewers.indexOf(viewer)]);
    }
    // The live paths of one place share a key; everything else is apart.
    expect(fresh[8]).toBe(fresh[0]);
    expect(new Set(fresh).size).toBe(viewers.length - 1);
  });
});
