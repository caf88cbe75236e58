import { inRange, ipRange, parseAddress } from '../ipRanges.js';
import { boundedMemo } from '../memo.js';

export interface Caller {
  /** The peer address as the log shows it (IPv4-mapped folded to IPv4). */
  readonly address: string | undefined;
  readonly trusted: boolean;
}

/**
 * Whether a socket peer may ask for decisions. Only trusted callers may: else
 * anyone could probe tokens while claiming any viewer IP in X-Real-IP.
 */
export function trustedCallerClassifier(cidrs: readonly string[]): (remoteAddress: string | undefined) => Caller {
  const ranges = cidrs.map(ipRange);
  // Callers are a handful of streaming servers, so how each was classified is remembered.
  const judge = boundedMemo((remoteAddress): Caller => {
    const address = parseAddress(remoteAddress);
    if (!address) return { address: remoteAddress, trusted: false };
    return { address: address.toString(), trusted: ranges.some((range) => inRange(address, range)) };
  }, 1024);
  return (remoteAddress) =>
    remoteAddress === undefined ? { address: undefined, trusted: false } : judge(remoteAddress);
}
