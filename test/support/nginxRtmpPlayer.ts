import { spawn } from 'node:child_process';

/** What a player got: media (the FLV bytes up to its first video frame), or refused (rtmpdump gave up). */
export type Played =
  | { readonly outcome: 'media'; readonly flv: Buffer; readonly tagTypes: readonly number[] }
  | { readonly outcome: 'refused'; readonly code: number | null; readonly flv: Buffer; readonly messages: string };

const NOT_INSTALLED =
  'rtmpdump is not installed, so the nginx-rtmp tests cannot play: scripts/install-test-deps.sh installs it (Debian package rtmpdump)';
const FLV_HEADER_BYTES = 9 + 4;
const TAG_HEAD_BYTES = 11;
const VIDEO_TAG = 9;

/** The types of the complete tags of an FLV stream so far (8 audio, 9 video, 18 script data). */
function flvTagTypes(flv: Buffer): number[] {
  if (flv.length < FLV_HEADER_BYTES || flv.toString('latin1', 0, 3) !== 'FLV') return [];
  const types: number[] = [];
  for (let at = FLV_HEADER_BYTES; at + TAG_HEAD_BYTES <= flv.length; ) {
    const end = at + TAG_HEAD_BYTES + flv.readUIntBE(at + 1, 3) + 4;
    if (end > flv.length) break;
    types.push(flv[at]!);
    at = end;
  }
  return types;
}

/**
 * rtmpdump playing a live RTMP URL (the token in its query), stopped as soon
 * as a whole video frame has arrived: a viewer let in gets media, one refused
 * sees rtmpdump end with nothing. Bounded by `withinMs` either way.
 */
export function playWithRtmpdump(url: string, withinMs: number): Promise<Played> {
  const child = spawn('rtmpdump', ['--live', '--timeout', String(Math.ceil(withinMs / 1000)), '-r', url, '-o', '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let messages = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rtmpdump got neither a video frame nor refused within ${withinMs} ms:\n${messages}`));
    }, withinMs);
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const flv = Buffer.concat(chunks);
      const tagTypes = flvTagTypes(flv);
      if (!tagTypes.includes(VIDEO_TAG)) return;
      clearTimeout(timer);
      child.kill('SIGTERM');
      resolve({ outcome: 'media', flv, tagTypes });
    });
    child.stderr.on('data', (chunk: Buffer) => (messages += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === 'ENOENT' ? NOT_INSTALLED : `rtmpdump: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ outcome: 'refused', code, flv: Buffer.concat(chunks), messages });
    });
  });
}
