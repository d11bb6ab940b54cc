// IP address text to the raw octets an X.509 iPAddress name holds.
import { isIPv4, isIPv6 } from 'node:net';

function ipv4Octets(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Octets(text: string): number[] {
  let address = text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  let tail: number[] = [];
  // An embedded dotted IPv4 address supplies the last two groups.
  const lastColon = address.lastIndexOf(':');
  if (address.slice(lastColon + 1).includes('.')) {
    tail = ipv4Octets(address.slice(lastColon + 1));
    address = address.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = address.split('::');
  const groupsOf = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groupsOf(head);
  const right = rest === undefined ? [] : groupsOf(rest);
  const groups = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const octets = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) octets.splice(12, 4, ...tail);
  return octets;
}

/** The 4 or 16 octets of an IP address, or undefined when `text` is not one. */
export function ipAddressOctets(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(ipv4Octets(text));
  if (isIPv6(text)) return Buffer.from(ipv6Octets(text));
  return undefined;
}
