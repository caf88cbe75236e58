import { inRange, ipRange, viewerAddress } from '../ipRanges.js';

export interface Caller {
  /** The peer address as the log shows it (IPv4-mapped folded to IPv4). */
  readonly address: string | undefined;
  readonly trusted: boolean;
}

/** Callers are a handful of streaming servers, so their verdicts are remembered. */
const MEMORY = 1024;

/**
 * Whether a socket peer may ask for decisions. Only trusted callers may: else
 * anyone could probe tokens while claiming any viewer IP in X-Real-IP.
 */
export function callerCheck(cidrs: readonly string[]): (remoteAddress: string | undefined) => Caller {
  const ranges = cidrs.map(ipRange);
  const known = new Map<string, Caller>();
  const judge = (remoteAddress: string): Caller => {
    const address = viewerAddress(remoteAddress);
    if (!address) return { address: remoteAddress, trusted: false };
    return { address: address.toString(), trusted: ranges.some((range) => inRange(address, range)) };
  };
  return (remoteAddress) => {
    if (remoteAddress === undefined) return { address: undefined, trusted: false };
    let caller = known.get(remoteAddress);
    if (!caller) {
      if (known.size >= MEMORY) known.clear();
      caller = judge(remoteAddress);
      known.set(remoteAddress, caller);
    }
    return caller;
  };
}
