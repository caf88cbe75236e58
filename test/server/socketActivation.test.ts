import { describe, expect, it } from 'vitest';
import { SocketActivationError, type SocketWarning, takeInheritedSockets } from '../../src/server/socketActivation.js';

const PID = 4242;

function take(env: NodeJS.ProcessEnv, warn: SocketWarning = () => {}) {
  return takeInheritedSockets(warn, env, PID);
}

function warningsOf(env: NodeJS.ProcessEnv) {
  const warnings: Parameters<SocketWarning>[] = [];
  const sockets = take({ LISTEN_PID: String(PID), ...env }, (...warning) => warnings.push(warning));
  return { sockets: [...sockets], warnings };
}

describe('takeInheritedSockets', () => {
  it('finds nothing when no sockets were passed', () => {
    expect(take({}).size).toBe(0);
  });

  it('takes a single unnamed socket, or one named after its unit, as the decisions listener', () => {
    expect([...take({ LISTEN_FDS: '1', LISTEN_PID: String(PID) })]).toEqual([['decisions', 3]]);
    expect([...take({ LISTEN_FDS: '1', LISTEN_PID: String(PID), LISTEN_FDNAMES: 'iptv-auth-bridge.socket' })]).toEqual([
      ['decisions', 3],
    ]);
  });

  it('warns, naming the fd, its name and the names expected, when the only socket is named no listener (a typo)', () => {
    const { sockets, warnings } = warningsOf({ LISTEN_FDS: '1', LISTEN_FDNAMES: 'decison' });
    expect(sockets).toEqual([['decisions', 3]]);
    expect(warnings).toEqual([
      [
        'socket activation: fd 3 is named "decison", which names no listener (expected "decisions" or "admin"); it is served as the decisions listener, the only socket passed',
        { fd: 3, name: 'decison', expected: ['decisions', 'admin'] },
      ],
    ]);
  });

  it.each([
    [{ LISTEN_FDS: '1' }],
    [{ LISTEN_FDS: '1', LISTEN_FDNAMES: 'unknown' }],
    [{ LISTEN_FDS: '1', LISTEN_FDNAMES: 'iptv-auth-bridge.socket' }],
    [{ LISTEN_FDS: '2', LISTEN_FDNAMES: 'decisions:admin' }],
  ])('says nothing of names systemd gives by itself or that match a listener: %j', (env) => {
    expect(warningsOf(env).warnings).toEqual([]);
  });

  it('tells decisions from admin by LISTEN_FDNAMES, descriptors counted from 3', () => {
    const sockets = take({ LISTEN_FDS: '2', LISTEN_PID: String(PID), LISTEN_FDNAMES: 'admin:decisions' });
    expect(sockets.get('admin')).toBe(3);
    expect(sockets.get('decisions')).toBe(4);
  });

  it('leaves sockets meant for another process alone (LISTEN_PID not ours, or not set)', () => {
    expect(take({ LISTEN_FDS: '1', LISTEN_PID: '1' }).size).toBe(0);
    expect(take({ LISTEN_FDS: '1' }).size).toBe(0);
  });

  it('removes the variables once read, so processes it starts do not take the sockets for theirs', () => {
    const env: NodeJS.ProcessEnv = {
      LISTEN_FDS: '2',
      LISTEN_PID: String(PID),
      LISTEN_FDNAMES: 'decisions:admin',
      KEEP: 'x',
    };
    take(env);
    expect(env).toEqual({ KEEP: 'x' });
  });

  it.each([
    [{ LISTEN_FDS: 'two' }, 'LISTEN_FDS: expected a positive number of sockets, got "two"'],
    [{ LISTEN_FDS: '0' }, 'LISTEN_FDS: expected a positive number of sockets, got "0"'],
    [{ LISTEN_FDS: '2', LISTEN_FDNAMES: 'decisions' }, 'LISTEN_FDNAMES: names 1 sockets but LISTEN_FDS passes 2'],
    [{ LISTEN_FDS: '2', LISTEN_FDNAMES: 'decisions:metrics' }, 'fd 4 is named "metrics"'],
    [{ LISTEN_FDS: '2' }, 'fd 3 is named "unknown"'],
    [{ LISTEN_FDS: '2', LISTEN_FDNAMES: 'decisions:decisions' }, 'two sockets are named "decisions" (fd 3 and fd 4)'],
    [{ LISTEN_FDS: '1', LISTEN_FDNAMES: 'admin' }, 'no socket named "decisions" was passed'],
  ])('refuses wrong unit files with a message naming the variable: %j', (env, message) => {
    const attempt = () => take({ ...env, LISTEN_PID: String(PID) });
    expect(attempt).toThrow(SocketActivationError);
    expect(attempt).toThrow(message);
  });
});
