import { spawn } from 'node:child_process';

export interface Publisher {
  /** ffmpeg's messages so far (errors only). */
  output(): string;
  /** Ends ffmpeg (SIGKILL: nothing of its output matters any more) and waits for it. */
  stop(): Promise<void>;
}

const NOT_INSTALLED =
  'ffmpeg is not installed, so the nginx-rtmp tests cannot publish: scripts/install-test-deps.sh installs it (Debian package ffmpeg)';

/**
 * ffmpeg publishing a generated test picture (lavfi `testsrc`, tiny and cheap,
 * a keyframe every 0.2 s so a player gets a picture at once) to an RTMP URL in
 * real time (`-re`), for at most `seconds`.
 */
export function publishTestSource(url: string, seconds: number): Publisher {
  const args = [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=25',
  ];
  const child = spawn('ffmpeg', [...args, '-c:v', 'flv', '-g', '5', '-t', String(seconds), '-f', 'flv', url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once(
    'error',
    (error: NodeJS.ErrnoException) => (output += error.code === 'ENOENT' ? NOT_INSTALLED : error.message),
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
