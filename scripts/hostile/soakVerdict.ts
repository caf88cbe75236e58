/** One look at the bridge process during a soak. */
export interface SoakSample {
  readonly atSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly sockets: number | undefined;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface MemoryVerdict {
  readonly bounded: boolean;
  readonly detail: string;
}

/** Growth from the middle to the last third of a run that still counts as a plateau. */
const TOLERATED_SHARE = 0.1;
const TOLERATED_BYTES = 8 * 1024 * 1024;
const MIN_SAMPLES = 6;

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function peak(samples: readonly SoakSample[], of: (sample: SoakSample) => number): number {
  return Math.max(...samples.map(of));
}

/**
 * Memory is bounded when, after a warm-up (the first third: caches fill, V8
 * sizes its heap), the last third of the run peaks no higher than the middle
 * third did, give or take 10% or 8 MiB. A leak grows from one third to the
 * next however long the run; a cache that has reached its steady size does not.
 */
export function memoryVerdict(samples: readonly SoakSample[]): MemoryVerdict {
  if (samples.length < MIN_SAMPLES)
    return { bounded: false, detail: `too short to tell: ${samples.length} samples, at least ${MIN_SAMPLES} needed` };
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const findings = (['rssBytes', 'heapUsedBytes'] as const).map((field) => {
    const before = peak(middle, (sample) => sample[field]);
    const after = peak(last, (sample) => sample[field]);
    const allowed = Math.max(before * TOLERATED_SHARE, TOLERATED_BYTES);
    return {
      ok: after - before <= allowed,
      text: `${field === 'rssBytes' ? 'RSS' : 'heap'} peak ${mib(before)} (middle third) -> ${mib(after)} (last third), allowed +${mib(allowed)}`,
    };
  });
  return {
    bounded: findings.every((finding) => finding.ok),
    detail: findings.map((finding) => finding.text).join('; '),
  };
}
