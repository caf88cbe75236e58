import { describe, expect, it } from 'vitest';
import { archiveRequestOf, dvrRequestOf } from '../src/archiveRequest.js';

describe('archive requests in a path', () => {
  it.each([
    ['/play/a001/index-1700000000-3600.m3u8', '/play/a001'],
    ['/a001/tracks-v1a1/index-1700000000-3600.m3u8', '/a001/tracks-v1a1'],
    ['/a001/timeshift_rel/3600', '/a001'],
  ])('%s is a request of the stream at %s', (path, stream) => {
    expect(dvrRequestOf(path)?.stream).toBe(stream);
  });

  it('keys each archive request apart and every live path alike (undefined)', () => {
    expect(archiveRequestOf('/a001/index-1700000000-3600.m3u8')).toBe('index-1700000000-3600.m3u8');
    expect(archiveRequestOf('/a001/timeshift_rel/3600/')).toBe('timeshift_rel/3600');
    expect(archiveRequestOf('/a001/2026/12/01/10/00/00-05000.ts')).toBeUndefined();
    expect(archiveRequestOf(undefined)).toBeUndefined();
  });
});
