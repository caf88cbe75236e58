import { describe, expect, it, vi } from 'vitest';

/** A fresh copy of the module: its listener is set when it is imported (each test releases it again). */
async function freshHangups() {
  vi.resetModules();
  const before = process.listenerCount('SIGHUP');
  const module = await import('../../src/lifecycle/hangups.js');
  expect(process.listenerCount('SIGHUP')).toBe(before + 1);
  return module;
}

describe('hangups', () => {
  it('keeps a SIGHUP that comes before a handler, hands it to the first handler, then passes each one on', async () => {
    const { handleHangupsWith, releaseSignals } = await freshHangups();
    process.emit('SIGHUP', 'SIGHUP');
    const seen: string[] = [];
    handleHangupsWith(() => seen.push('first'));
    expect(seen).toEqual(['first']);
    process.emit('SIGHUP', 'SIGHUP');
    handleHangupsWith(() => seen.push('second'));
    process.emit('SIGHUP', 'SIGHUP');
    expect(seen).toEqual(['first', 'first', 'second']);
    releaseSignals();
  });

  it('lets commands other than serve end on SIGHUP, SIGTERM and SIGINT as usual: the listeners go', async () => {
    const { releaseSignals } = await freshHangups();
    const signals = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;
    const before = signals.map((signal) => process.listenerCount(signal));
    releaseSignals();
    expect(signals.map((signal) => process.listenerCount(signal))).toEqual(before.map((count) => count - 1));
  });

  it('keeps a SIGTERM or SIGINT that comes before a handler and hands it to the first one, then passes each on', async () => {
    const { handleStopsWith, releaseSignals } = await freshHangups();
    process.emit('SIGINT', 'SIGINT');
    const seen: string[] = [];
    handleStopsWith((signal) => seen.push(signal));
    expect(seen).toEqual(['SIGINT']);
    process.emit('SIGTERM', 'SIGTERM');
    expect(seen).toEqual(['SIGINT', 'SIGTERM']);
    releaseSignals();
  });

  it('exits at once with 1 on a second stop signal before any handler, as on a second one later', async () => {
    const { handleStopsWith, releaseSignals } = await freshHangups();
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    try {
      process.emit('SIGTERM', 'SIGTERM');
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGTERM', 'SIGTERM');
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      exit.mockRestore();
      // Handed the stop it kept, which releaseSignals would otherwise send this test process again.
      handleStopsWith(() => undefined);
      releaseSignals();
    }
  });

  it('hears SIGUSR1 and SIGUSR2 (unheard, one opens the inspector and the other ends the process) and says so once told how', async () => {
    const { handleUserSignalsWith, releaseSignals } = await freshHangups();
    process.emit('SIGUSR1', 'SIGUSR1');
    const seen: string[] = [];
    handleUserSignalsWith((signal) => seen.push(signal));
    process.emit('SIGUSR1', 'SIGUSR1');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(seen).toEqual(['SIGUSR1', 'SIGUSR2']);
    releaseSignals();
  });
});
