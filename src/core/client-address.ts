import { isIP } from 'node:net';

/**
 * The throttling key of a client address. IPv4 addresses are kept as they are; an IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address it maps; any other IPv6 address is
 * reduced to its /64 prefix, because one subscriber usually holds a whole /64 and could
 * otherwise rotate through 2^64 addresses to dodge a per-address limit (RFC 6177 §2; OWASP
 * Credential Stuffing Prevention CS, "IP-based" controls). Anything that is not an address
 * (a Unix socket, an empty string) is returned trimmed and lower-cased, so it still counts.
 */
export function clientKey(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, ''); // drop an IPv6 zone id (fe80::1%eth0)
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return address;
  const hextets = expandIPv6(address);
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) is an IPv4 client seen through a dual-stack socket.
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    return [hextets[6]! >> 8, hextets[6]! & 0xff, hextets[7]! >> 8, hextets[7]! & 0xff].join('.');
  }
  return `${hextets.slice(0, 4).map((h) => h.toString(16).padStart(4, '0')).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function expandIPv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16));
}
