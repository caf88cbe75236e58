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
    const { handleHangupsWith, releaseHangups } = await freshHangups();
    process.emit('SIGHUP', 'SIGHUP');
    const seen: string[] = [];
    handleHangupsWith(() => seen.push('first'));
    expect(seen).toEqual(['first']);
    process.emit('SIGHUP', 'SIGHUP');
    handleHangupsWith(() => seen.push('second'));
    process.emit('SIGHUP', 'SIGHUP');
    expect(seen).toEqual(['first', 'first', 'second']);
    releaseHangups();
  });

  it('lets commands other than serve end on SIGHUP as usual: the listener goes', async () => {
    const { releaseHangups } = await freshHangups();
    const before = process.listenerCount('SIGHUP');
    releaseHangups();
    expect(process.listenerCount('SIGHUP')).toBe(before - 1);
  });

  it('hears SIGUSR1 and SIGUSR2 (unheard, one opens the inspector and the other ends the process) and says so once told how', async () => {
    const { handleUserSignalsWith, releaseHangups } = await freshHangups();
    process.emit('SIGUSR1', 'SIGUSR1');
    const seen: string[] = [];
    handleUserSignalsWith((signal) => seen.push(signal));
    process.emit('SIGUSR1', 'SIGUSR1');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(seen).toEqual(['SIGUSR1', 'SIGUSR2']);
    releaseHangups();
  });
});
