/**
 * Which IP addresses Doorman may connect to when it fetches a document named by a stranger.
 *
 *   addressProblem(address: string): string | undefined
 *     undefined: a public unicast address; otherwise what kind of address it is ("a private address").
 *
 * An allow-list, not a deny-list: IPv4 must be ordinary unicast (not loopback, RFC 1918, link-local,
 * carrier-grade NAT, multicast, 0/8, broadcast, documentation, benchmarking, 240/4 or other IANA
 * special-purpose blocks), IPv6 must be global unicast (2000::/3 outside its special-purpose
 * blocks). IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
 * (::ffff:a.b.c.d) and the well-known NAT64 prefix (64:ff9b::/96) may reach a public one;
 * the deprecated IPv4-compatible, IPv4-translated, 6to4 and Teredo forms are refused outright.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

const IPV4_KINDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  private: 'a private address',
  reserved: 'a reserved address',
};

const IPV6_KINDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a private address',
  deprecatedSiteLocal: 'a private address',
  benchmarking: 'a reserved address',
  reserved: 'a reserved address',
};

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** What kind of address refused to connect to this is, or undefined when it is public. */
export function addressProblem(address: string): string | undefined {
  // a zone (`fe80::1%eth0`) only ever qualifies a link-local address
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return ipv4Problem(ipaddr.IPv4.parse(bare));
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; the URL parser's all-hex form is read as written
  if (family === 6) return ipv6Problem(ipaddr.IPv6.parse(new URL(`http://[${bare}]`).hostname.slice(1, -1)));
  return 'not an IP address';
}

function ipv4Problem(ip: ipaddr.IPv4): string | undefined {
  const range = ip.range();
  if (range === 'unicast') return undefined;
  return IPV4_KINDS[range] ?? 'a special-purpose address';
}

function ipv6Problem(ip: ipaddr.IPv6): string | undefined {
  if (ip.isIPv4MappedAddress()) return ipv4Problem(ip.toIPv4Address());
  if (ip.match(NAT64_WELL_KNOWN)) return ipv4Problem(lastFourBytes(ip));
  const range = ip.range();
  const kind = IPV6_KINDS[range];
  if (kind) return kind;
  if (ip.match(IPV4_COMPATIBLE)) return ipv4Problem(lastFourBytes(ip)) ?? 'a reserved address';
  if (range === 'unicast' && ip.match(GLOBAL_UNICAST)) return undefined;
  return range === 'unicast' ? 'a reserved address' : 'a special-purpose address';
}

function lastFourBytes(ip: ipaddr.IPv6): ipaddr.IPv4 {
  return new ipaddr.IPv4(ip.toByteArray().slice(12));
}
