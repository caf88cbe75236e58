import { cesboCaller } from './cesbo.js';
import { flussonicCaller } from './flussonic.js';
import type { CallerProtocol } from './types.js';

/**
 * Every caller protocol the bridge answers, in one list: the request listener
 * derives its paths, its fast path and its 404/405 answers from it.
 */
export const CALLER_PROTOCOLS: readonly CallerProtocol[] = [cesboCaller, flussonicCaller];
