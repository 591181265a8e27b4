import ipaddr from 'ipaddr.js';

/**
 * IPv6 prefixes whose addresses carry an IPv4 address, with where it sits (as the index of its
 * first 16-bit group) and whether it is stored inverted. A client reached through one of them is
 * that IPv4 client: it must share the IPv4 address's counter, or each form would get its own.
 */
const IPV4_CARRIERS: ReadonlyArray<{ range: [ipaddr.IPv6, number]; group: number; inverted?: boolean }> = [
  // IPv4-mapped, ::ffff:a.b.c.d: an IPv4 client seen through a dual-stack socket (RFC 4291 §2.5.5.2).
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0/96'), group: 6 },
  // IPv4-translated, ::ffff:0:a.b.c.d (RFC 6145 §2.1, SIIT).
  { range: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'), group: 6 },
  // IPv4-compatible, ::a.b.c.d (deprecated by RFC 4291 §2.5.5.1, still parsed); ::1 and :: are not IPv4.
  { range: ipaddr.IPv6.parseCIDR('::/96'), group: 6 },
  // NAT64 well-known prefix, 64:ff9b::a.b.c.d (RFC 6052 §2.1).
  { range: ipaddr.IPv6.parseCIDR('64:ff9b::/96'), group: 6 },
  // 6to4, 2002:AABB:CCDD::/48 for the IPv4 address AA.BB.CC.DD (RFC 3056 §2).
  { range: ipaddr.IPv6.parseCIDR('2002::/16'), group: 1 },
  // Teredo, 2001:0:<server>:<flags>:<port>:<client>, the client's public IPv4 address stored
  // inverted (RFC 4380 §4); without this every client of one Teredo server would share one /64.
  { range: ipaddr.IPv6.parseCIDR('2001::/32'), group: 6, inverted: true },
];

/**
 * The throttling key of a client address. An IPv4 address is kept (in its dotted form); an IPv6
 * address that carries an IPv4 address (see {@link IPV4_CARRIERS}) is that IPv4 address; any
 * other IPv6 address is reduced to its /64 prefix, because one subscriber usually holds a whole
 * /64 and could otherwise rotate through 2^64 addresses to dodge a per-address limit (RFC 6177
 * §2; OWASP Credential Stuffing Prevention CS, "IP-based" controls). Parsing is ipaddr.js's, so
 * every spelling of an address (zero-padded, upper-case, with a zone id) gives one key.
 * Anything that is not an address (a Unix socket, an empty string) is returned trimmed and
 * lower-cased, so it still counts.
 */
export function clientKey(ip: string): string {
  const text = ip.trim().toLowerCase();
  if (!ipaddr.isValid(text)) return text;
  const address = ipaddr.parse(text);
  if (address.kind() === 'ipv4') return address.toString();
  const ipv6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(ipv6);
  if (embedded) return embedded;
  return `${ipv6.parts
    .slice(0, 4)
    .map((h) => h.toString(16).padStart(4, '0'))
    .join(':')}::/64`;
}

/** The IPv4 address an IPv6 address carries, dotted, or `null`. */
function embeddedIPv4(address: ipaddr.IPv6): string | null {
  for (const carrier of IPV4_CARRIERS) {
    if (!address.match(carrier.range)) continue;
    const mask = carrier.inverted ? 0xffff : 0;
    const high = address.parts[carrier.group]! ^ mask;
    const low = address.parts[carrier.group + 1]! ^ mask;
    // 0.0.0.0/8 is "this network" (RFC 1122 §3.2.1.3): never a client, and it covers :: and ::1.
    if (high >> 8 === 0) return null;
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return null;
}
