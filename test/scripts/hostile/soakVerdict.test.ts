import { describe, expect, it } from 'vitest';
import { memoryVerdict, type SoakSample } from '../../../scripts/hostile/soakVerdict.js';

const MiB = 1048576;
const run = (rss: (i: number) => number, heap: (i: number) => number = () => 40 * MiB): SoakSample[] =>
  Array.from({ length: 30 }, (_, i) => ({
    atSeconds: (i + 1) * 10,
    rssBytes: rss(i),
    heapUsedBytes: heap(i),
    sockets: 40,
    loopDelayP99Ms: 1,
    loopDelayMaxMs: 2,
  }));

describe('memoryVerdict', () => {
  it('calls a run bounded when memory grows during the warm-up and then holds, with noise', () => {
    const verdict = memoryVerdict(run((i) => (i < 10 ? (100 + i * 5) * MiB : (150 + (i % 3)) * MiB)));
    expect(verdict.bounded).toBe(true);
    expect(verdict.detail).toContain('RSS peak 152.0 MiB (middle third) -> 152.0 MiB (last third)');
  });

  it('calls a steady climb a leak, in RSS or in the heap', () => {
    expect(memoryVerdict(run((i) => (100 + i * 2) * MiB)).bounded).toBe(false);
    const heapLeak = memoryVerdict(
      run(
        () => 150 * MiB,
        (i) => (30 + i) * MiB,
      ),
    );
    expect(heapLeak.bounded).toBe(false);
    expect(heapLeak.detail).toContain('heap peak 49.0 MiB (middle third) -> 59.0 MiB (last third)');
  });

  it('refuses to judge a run with too few samples', () => {
    expect(memoryVerdict(run(() => 100 * MiB).slice(0, 5))).toEqual({
      bounded: false,
      detail: 'too short to tell: 5 samples, at least 6 needed',
    });
  });
});
