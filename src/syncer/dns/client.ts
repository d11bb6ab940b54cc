// A small DNS client: what the tests use, and what an end-to-end check can
// use to ask the server a question from a given source address.
import { randomInt } from 'node:crypto';
import { tcpExchange, udpExchange } from './transport.ts';
import { CLASS_IN, decodeMessage, emptyFlags, encodeMessage, peekHeader, type Message } from './wire.ts';

export interface DnsQuery {
  server: string;
  port: number;
  name: string;
  type: number;
  transport?: 'udp' | 'tcp';
  /** Source address (e.g. 127.0.0.2: Linux routes all of 127/8 to the loopback). */
  localAddress?: string;
  /** Advertise EDNS with this UDP size; default none (plain 512-byte DNS). */
  ednsUdpSize?: number;
  timeoutMs?: number;
}

export interface DnsReply {
  message: Message;
  /** Size of the reply on the wire. */
  size: number;
}

export async function queryDns(q: DnsQuery): Promise<DnsReply> {
  const id = randomInt(0x10000);
  const bytes = encodeMessage({
    id, flags: { ...emptyFlags(), rd: true }, rcode: 0,
    questions: [{ name: q.name, type: q.type, class: CLASS_IN }], answers: [], authority: [], additional: [],
    edns: q.ednsUdpSize ? { udpSize: q.ednsUdpSize, version: 0, dnssecOk: false, options: new Uint8Array() } : undefined,
  });
  const raw = await exchangeRaw(bytes, q, (reply) => peekHeader(reply)?.id === id);
  return { message: decodeMessage(raw), size: raw.length };
}

/** Sends any bytes (malformed ones too) and returns the first reply. */
export function exchangeRaw(bytes: Uint8Array, q: Omit<DnsQuery, 'name' | 'type'>, accept?: (reply: Buffer) => boolean): Promise<Buffer> {
  const target = { host: q.server, port: q.port, localAddress: q.localAddress, timeoutMs: q.timeoutMs ?? 2000 };
  return q.transport === 'tcp' ? tcpExchange(bytes, target) : udpExchange(bytes, target, accept);
}
