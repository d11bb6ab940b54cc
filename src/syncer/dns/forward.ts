// Forwarding to upstream servers, tried in order: a timeout or error moves on
// to the next one; undefined when none answered (the caller says SERVFAIL).
// Nothing is cached: the upstream (the host cluster's DNS or the node's
// resolver) caches already, and a cache here would be one more place where
// answers go stale and where one tenant's lookups could be observed by
// another's timing.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tcpExchange, udpExchange } from './transport.ts';
import { peekQuestion } from './wire.ts';

export interface Upstream {
  host: string;
  port: number;
}

/** The `nameserver` lines of a resolv.conf (port 53); empty when the file is missing. */
export function upstreamsFromResolvConf(path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const host = m?.[1]?.replace(/%.*$/, ''); // drop an IPv6 zone index
    if (host && isIP(host)) out.push({ host, port: 53 });
  }
  return out;
}

/**
 * Forwards a query as it came (its EDNS options included) under a fresh
 * random id, and returns the reply with the client's id restored.
 */
export async function forwardQuery(query: Uint8Array, upstreams: readonly Upstream[], transport: 'udp' | 'tcp', timeoutMs: number): Promise<Buffer | undefined> {
  const asked = peekQuestion(query);
  if (!asked) return undefined;
  for (const u of upstreams) {
    const id = randomInt(0x10000);
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    // A reply counts only if it answers this id and question (RFC 5452).
    const accept = (reply: Buffer) => {
      const got = peekQuestion(reply);
      return !!got && got.id === id && got.flags.qr && got.question.type === asked.question.type &&
        got.question.class === asked.question.class && got.question.name.toLowerCase() === asked.question.name.toLowerCase();
    };
    try {
      const target = { host: u.host, port: u.port, timeoutMs };
      const reply = transport === 'udp' ? await udpExchange(out, target, accept) : await tcpExchange(out, target);
      if (!accept(reply)) continue;
      const back = Buffer.from(reply);
      back.writeUInt16BE(asked.id, 0);
      return back;
    } catch {
      // timeout, refused connection, unreachable: try the next one
    }
  }
  return undefined;
}
