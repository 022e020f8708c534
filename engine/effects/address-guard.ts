// Which addresses outgoing requests to URLs that flows and API callers write (Call webhook, a
// Flow API report's notifyUrl) may reach, checked on the address a connection really goes to:
// an IP written in the URL before connecting, a name once DNS answered (a name that resolves to a
// forbidden address is caught too, and no second lookup can answer otherwise). Link-local
// addresses (169.254.0.0/16, fe80::/10: where cloud metadata services answer) and unspecified
// ones (0.0.0.0, ::) are never called; loopback and private ones (127.0.0.0/8, 10.0.0.0/8,
// 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, ::1, fc00::/7, fec0::/10, the local NAT64
// 64:ff9b:1::/48) only while private addresses are allowed, the default (a CRM on the company's
// network is a usual target). An IPv6 address that carries an IPv4 one (IPv4-mapped, -compatible
// or -translated, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by that IPv4 address too.
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { Agent } from 'undici';
import { lazyRequire } from '../lazy-require.js';

const undici = lazyRequire<typeof import('undici')>('undici');

/** A connection the guard would not open: the address and why. */
export class AddressRefused extends Error {
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`${address} is ${why}`);
    this.name = 'AddressRefused';
  }
}

const NEVER = ranges([['0.0.0.0', 8, 'ipv4'], ['169.254.0.0', 16, 'ipv4'], ['::', 128, 'ipv6'], ['fe80::', 10, 'ipv6']]);
const PRIVATE = ranges([
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
]);

function ranges(list: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): BlockList {
  const blocks = new BlockList();
  for (const [network, prefix, family] of list) blocks.addSubnet(network, prefix, family);
  return blocks;
}

/** What an address is, as far as the guard cares: a name (checked once resolved) or an IP of a range. */
type Kind = 'name' | 'public' | 'private' | 'never';

/** Kinds found so far, by host or IP string (a pure function of it, so safe to keep); emptied when full. */
const kinds = new Map<string, Kind>();
const KINDS_KEPT = 10_000;

function kindOf(host: string): Kind {
  let kind = kinds.get(host);
  if (kind === undefined) {
    if (kinds.size >= KINDS_KEPT) kinds.clear();
    kinds.set(host, (kind = classify(host)));
  }
  return kind;
}

/** An IP's kind, and the worse one of the IPv4 address it carries, if any. */
function classify(host: string): Kind {
  const version = isIP(host);
  if (version === 0) return 'name';
  const own = rangeOf(host, version === 6 ? 'ipv6' : 'ipv4');
  const carried = embeddedIpv4(host);
  const theirs = carried === undefined ? 'public' : rangeOf(carried, 'ipv4');
  return own === 'never' || theirs === 'never' ? 'never' : own === 'private' || theirs === 'private' ? 'private' : 'public';
}

function rangeOf(ip: string, family: 'ipv4' | 'ipv6'): Kind {
  if (NEVER.check(ip, family)) return 'never';
  return PRIVATE.check(ip, family) ? 'private' : 'public';
}

/** Why a request may not go to `address` (an IP), or undefined when it may. */
export function refusal(address: string, allowPrivate: boolean): string | undefined {
  const kind = kindOf(address);
  if (kind === 'never') return 'link-local or unspecified (where cloud metadata services answer): never called';
  if (kind === 'private' && !allowPrivate) return 'a loopback or private address, refused by the configuration';
  return undefined;
}

/**
 * The IPv4 address an IPv6 one carries, which a connection to it may reach: IPv4-mapped
 * (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), IPv4-compatible (::/96, past ::1),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16, the address in its second and third groups).
 */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g === undefined) return undefined;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (g[0] === 0x2002) return ipv4Of(g[1]!, g[2]!);
  const lastTwo =
    (zero(0, 5) && g[5] === 0xffff) || // mapped
    (zero(0, 4) && g[4] === 0xffff && g[5] === 0) || // translated
    (zero(0, 6) && g[6] !== 0) || // compatible (not ::, ::1)
    (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)); // NAT64
  return lastTwo ? ipv4Of(g[6]!, g[7]!) : undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part read as two). */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().replace(/%.*$/, ''); // a zone id names an interface, not an address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const [head = '', tail] = text.split('::');
  if (tail === undefined) return groups(head);
  const [before, after] = [groups(head), groups(tail)];
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** A DNS lookup for connections that fails with AddressRefused when any address it found is refused. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, found: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = found.map((a) => [a.address, refusal(a.address, allowPrivate)] as const).find(([, why]) => why !== undefined);
      if (refused) return callback(new AddressRefused(refused[0], refused[1]!) as NodeJS.ErrnoException, '', 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, found);
      callback(null, found[0]!.address, found[0]!.family);
    });
  };
}

/** Throws AddressRefused when the URL names a refused IP itself (a name is checked once resolved, by the agent). */
export function checkUrlAddress(url: URL, allowPrivate: boolean): void {
  const { hostname } = url;
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const why = refusal(host, allowPrivate);
  if (why !== undefined) throw new AddressRefused(host, why);
}

const agents = new Map<boolean, Agent>();

/** The connection pool of guarded requests (one per setting, kept). */
export function guardedAgent(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) agents.set(allowPrivate, (agent = new (undici().Agent)({ connect: { lookup: guardedLookup(allowPrivate) } })));
  return agent;
}

/** The AddressRefused behind a failed request, if that is why it failed. */
export function refusedBehind(err: unknown): AddressRefused | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) if (e instanceof AddressRefused) return e;
  return undefined;
}
