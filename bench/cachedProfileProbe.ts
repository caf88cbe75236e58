/**
 * Loaded into a profiled server (`node --import tsx --import bench/cachedProfileProbe.ts ...`, spawned
 * with an IPC channel by bench/cachedProfile.ts): `start` starts V8's CPU profiler and notes the
 * process's CPU time, `stop` stops it and answers the CPU time spent since, with the profile's time
 * by component (cachedProfileComponents.ts). The profile is summed here, in the server, after the
 * window: only its one message crosses, not the whole profile.
 */
import { Session } from 'node:inspector/promises';
import { type CpuProfile, profileComponents } from './cachedProfileComponents.js';

/** Microseconds between samples: fine enough for a hit of tens of µs over a window of many thousand. */
const SAMPLING_MICROS = 100;

const session = new Session();
session.connect();
let cpuAtStart = 0;

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function answer(kind: string): Promise<unknown> {
  if (kind === 'start') {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_MICROS });
    await session.post('Profiler.start');
    cpuAtStart = cpuMicros();
    return {};
  }
  const spent = cpuMicros() - cpuAtStart;
  const { profile } = await session.post('Profiler.stop');
  return { cpuMicros: spent, components: profileComponents(profile as CpuProfile) };
}

process.on('message', (message: { readonly kind: string }) => {
  void answer(message.kind).then((reply) => process.send!(reply));
});
