// One DNS exchange over UDP or TCP (RFC 1035 §4.2: TCP messages carry a
// two-byte length prefix). Used to forward queries upstream and by clients.
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { canonicalIP } from './ip.ts';

export interface ExchangeTarget {
  host: string;
  port: number;
  /** Source address to send from (e.g. 127.0.0.2 in tests). */
  localAddress?: string;
  timeoutMs: number;
}

/** Thrown when no answer came in time; other failures are the socket's own errors. */
export class DnsTimeoutError extends Error {}

/**
 * Sends one datagram and resolves with the first reply from the target that
 * `accept` takes (others are ignored: a stray or spoofed packet does not end
 * the wait).
 */
export function udpExchange(query: Uint8Array, t: ExchangeTarget, accept: (reply: Buffer) => boolean = () => true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(t.host) ? 'udp6' : 'udp4');
    const want = canonicalIP(t.host) ?? t.host;
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err); else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsTimeoutError(`no answer from ${t.host}:${t.port} over UDP within ${t.timeoutMs} ms`)), t.timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg, rinfo) => {
      if ((canonicalIP(rinfo.address) ?? rinfo.address) !== want || rinfo.port !== t.port) return;
      if (accept(msg)) finish(undefined, msg);
    });
    const send = () => socket.send(query, t.port, t.host, (err) => { if (err) finish(err); });
    if (t.localAddress) socket.bind({ address: t.localAddress, port: 0 }, send);
    else send();
  });
}

/** Sends one length-prefixed message on a fresh connection and resolves with the first message back. */
export function tcpExchange(query: Uint8Array, t: ExchangeTarget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: t.host, port: t.port, localAddress: t.localAddress });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err); else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsTimeoutError(`no answer from ${t.host}:${t.port} over TCP within ${t.timeoutMs} ms`)), t.timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => socket.write(frame(query)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    socket.on('end', () => finish(new Error(`${t.host}:${t.port} closed the connection without an answer`)));
  });
}

/** A message with its TCP length prefix. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}
