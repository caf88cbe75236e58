import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';

/** What a request's Host names: `name` as a URL's hostname spells it (IPv6 in brackets), and the port if given. */
interface HostOfRequest {
  readonly name: string;
  readonly literal: boolean;
  readonly port?: number;
}

function hostOf(text: string): HostOfRequest | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]@/\s]+))(?::(\d{1,5}))?$/i.exec(text);
  if (match === null) return undefined;
  const [, v6, name, port] = match;
  if (v6 !== undefined && !ipaddr.IPv6.isValid(v6)) return undefined;
  const literal = v6 !== undefined || ipaddr.IPv4.isValidFourPartDecimal(name!);
  const spelled = v6 === undefined ? name!.toLowerCase() : `[${ipaddr.IPv6.parse(v6).toString()}]`;
  return { name: spelled, literal, ...(port === undefined ? {} : { port: Number(port) }) };
}

/** Whether `origin` is this listener as the browser reached it (the Host it sent): scheme aside, same name and port. */
function isOwnOrigin(origin: string, host: HostOfRequest): boolean {
  if (!URL.canParse(origin)) return false; // `null` among them: a sandboxed or opaque page
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.hostname !== host.name) return false;
  // A TLS proxy in front: the page is https://name, the Host it passes on name (no port).
  if (host.port === undefined) return url.port === '';
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80)) === host.port;
}

/**
 * Sec-Fetch-Site values of a request the operator made here: the page's own fetches, or an address typed or
 * bookmarked.
 */
const OWN_SITE = new Set(['same-origin', 'none']);

/** Answered whatever the Host, as they need no token: anyone who reaches the listener may read them. */
const ANY_HOST = new Set(['/metrics', '/ready']);

/**
 * The admin listener's defence against web pages: a page on another site
 * must not steer it (reload, flush, revoke) or read it through the viewer's
 * browser, with or without the token's cookie. Browsers say where a request
 * comes from (`Sec-Fetch-Site`, `Origin`); curl and scripts send neither and
 * are let through. A DNS-rebinding page reaches the listener under its own
 * name and as the same origin, so a Host that is not an IP literal,
 * `localhost` or a name in `admin.hosts` is refused too.
 *
 * Answers why a request is refused, or undefined when it may go on.
 */
export function foreignRequest(hosts: readonly string[]) {
  const named = new Set(hosts);
  return (req: IncomingMessage, path: string): string | undefined => {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && !OWN_SITE.has(site))
      return (
        `refused: a request from another site (Sec-Fetch-Site: ${site.slice(0, 40)}); ` +
        "open the status page at this listener's own address"
      );
    const sent = req.headersDistinct.host ?? [];
    if (sent.length > 1) return 'refused: Host given more than once';
    const host = sent.length === 0 ? undefined : hostOf(sent[0]!);
    if (sent.length === 1 && host === undefined) return 'refused: a malformed Host';
    const { origin } = req.headers;
    // No Host (HTTP/1.0): no browser sends such a request, and without one there is no own origin to compare.
    if (origin !== undefined && (host === undefined || !isOwnOrigin(origin, host)))
      return "refused: a request from another origin (Origin is not this listener's own)";
    if (host === undefined || host.literal || host.name === 'localhost' || named.has(host.name) || ANY_HOST.has(path))
      return undefined;
    return (
      `refused: Host ${JSON.stringify(host.name.slice(0, 100))} ` +
      'is not an IP address, localhost or a name listed in admin.hosts'
    );
  };
}
