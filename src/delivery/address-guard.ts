import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
// IPv6 forms that carry an IPv4 address (compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64,
// 6to4) are refused whole: [::127.0.0.1] reaches loopback on hosts that route them.
for (const [net, prefix] of [
  ['::', 96], ['::ffff:0:0:0', 96], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96],
  ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Loopback, private, link-local (cloud metadata), reserved and documentation ranges. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export class BlockedTargetError extends Error {
  readonly code = 'blocked_target';
  /** The host does not resolve: a typo to fix, not an address --allow-private-targets would let through. */
  constructor(message: string, readonly unresolved = false) {
    super(message);
  }
}

/** What to do about a refused target. */
export function blockedTargetFix(err: BlockedTargetError): string {
  return err.unresolved ? 'check the host name' : 'start the daemon with --allow-private-targets to allow it';
}

/** Resolves a host and refuses it unless every address is public (fails closed when it does not resolve). */
export async function assertPublicHost(hostname: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw new BlockedTargetError(`${host} is a private or loopback address`);
    return;
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, result) => (err ? reject(err) : resolve(result))),
  ).catch(() => {
    throw new BlockedTargetError(`${host} does not resolve`, true);
  });
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new BlockedTargetError(`${host} resolves to ${bad.address}, a private or loopback address`);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for sockets that refuses private answers at connect time (no DNS rebinding). */
export function publicOnlyLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) {
      const error: NodeJS.ErrnoException = new BlockedTargetError(`${hostname} resolves to ${bad.address}, a private or loopback address`);
      error.code = 'EBLOCKED';
      return callback(error, []);
    }
    if ((options as { all?: boolean }).all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
