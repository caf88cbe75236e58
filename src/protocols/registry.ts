import { cesboCaller } from './cesbo.js';
import { flussonicCaller } from './flussonic.js';
import { mediamtxCaller } from './mediamtx.js';
import { nginxRtmpCaller } from './nginxRtmp.js';
import { srsCaller } from './srs.js';
import type { CallerProtocol } from './types.js';

/**
 * Every caller protocol the bridge answers, in one list: the request listener
 * derives its paths, its fast path and its 404/405 answers from it.
 */
export const CALLER_PROTOCOLS: readonly CallerProtocol[] = [
  cesboCaller,
  flussonicCaller,
  mediamtxCaller,
  srsCaller,
  nginxRtmpCaller,
];
