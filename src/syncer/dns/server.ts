// The one DNS server kubevisor serves to the pods of all its virtual
// clusters, on UDP and TCP. The client's source address picks the virtual
// cluster (its DnsView); names in the cluster domain are answered from that
// view, everything else goes upstream.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { forwardQuery, upstreamsFromResolvConf, type Upstream } from './forward.ts';
import { canonicalIP } from './ip.ts';
import { frame } from './transport.ts';
import type { DnsView } from './view.ts';
import {
  CLASS_IN, RCode, WireError, decodeMessage, emptyFlags, encodeMessage, peekHeader, peekQuestion, udpLimit,
  type Edns, type Message, type Question,
} from './wire.ts';
import { DEFAULT_TTL, answerFromZone, isInDomain, type ZoneOptions } from './zone.ts';

export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  /** Cluster domain; default cluster.local. */
  domain?: string;
  /** The view of the virtual cluster a client address belongs to; undefined for strangers. */
  views: (clientAddress: string) => DnsView | undefined;
  /** Default: the nameservers of /etc/resolv.conf. */
  upstream?: Upstream[];
  /** Per upstream attempt; default 2000. */
  timeoutMs?: number;
  /** TTL of the cluster's records; default 30. */
  ttl?: number;
  /** Largest UDP answer we send whatever the client's EDNS size; default 1232 (no IP fragmentation). */
  maxUdpSize?: number;
  /** Called with errors that are our own bugs, not the clients' (they get SERVFAIL). */
  onError?: (err: unknown) => void;
}

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

const TCP_IDLE_MS = 10_000; // RFC 7766 §6.2.3 suggests seconds, not minutes
const DEFAULT_MAX_UDP = 1232;

type Transport = 'udp' | 'tcp';

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const domain = (opts.domain ?? 'cluster.local').toLowerCase().replace(/\.$/, '');
  const zone: ZoneOptions = { domain, ttl: opts.ttl ?? DEFAULT_TTL, serial: Math.floor(Date.now() / 1000) >>> 0 };
  const upstreams = opts.upstream ?? upstreamsFromResolvConf();
  const timeoutMs = opts.timeoutMs ?? 2000;
  const maxUdp = opts.maxUdpSize ?? DEFAULT_MAX_UDP;
  const ctx: HandlerContext = { zone, upstreams, timeoutMs, maxUdp, views: opts.views };

  const respond = async (bytes: Buffer, client: string, transport: Transport): Promise<Buffer | undefined> => {
    try {
      return await handleQuery(ctx, bytes, canonicalIP(client) ?? client, transport);
    } catch (err) {
      opts.onError?.(err);
      return errorReply(bytes, RCode.SERVFAIL);
    }
  };

  const { udp, tcp, port } = await listenBoth(opts.host, opts.port);
  let closed = false;
  udp.on('message', (msg, rinfo) => {
    void respond(msg, rinfo.address, 'udp').then((reply) => {
      if (!reply || closed) return;
      udp.send(reply, rinfo.port, rinfo.address, () => {}); // a failed send is the client's loss, as on any UDP path
    });
  });
  udp.on('error', (err) => opts.onError?.(err));

  const connections = new Set<Socket>();
  tcp.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {}); // a client resetting its connection is not our error
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const client = socket.remoteAddress ?? '';
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      // Several queries per connection, answered as each is ready (RFC 7766 §6.2.1.1: out of order is allowed).
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void respond(Buffer.from(msg), client, 'tcp').then((reply) => {
          if (reply && !socket.destroyed) socket.write(frame(reply));
        });
      }
    });
  });

  return {
    port,
    close: () => new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      udp.close();
      for (const s of connections) s.destroy();
      tcp.close(() => resolve());
    }),
  };
}

/** Binds UDP and TCP to one port; with port 0, retries until a free UDP port is also free for TCP. */
async function listenBoth(host: string, port: number): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => { udp.off('error', reject); resolve(); });
    });
    const bound = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(bound, host, () => { tcp.off('error', reject); resolve(); });
      });
      return { udp, tcp, port: bound };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

interface HandlerContext {
  zone: ZoneOptions;
  upstreams: readonly Upstream[];
  timeoutMs: number;
  maxUdp: number;
  views: (clientAddress: string) => DnsView | undefined;
}

/** The reply to one query, or undefined to stay silent (the packet was a response, or not DNS at all). */
async function handleQuery(ctx: HandlerContext, bytes: Buffer, client: string, transport: Transport): Promise<Buffer | undefined> {
  const header = peekHeader(bytes);
  if (!header || header.qr) return undefined; // answering responses invites loops and reflection
  let query: Message;
  try {
    query = decodeMessage(bytes);
  } catch (err) {
    if (err instanceof WireError) return errorReply(bytes, RCode.FORMERR);
    throw err;
  }
  const limit = transport === 'udp' ? udpLimit(query, ctx.maxUdp) : 0xffff;
  const reply = (m: Message) => encodeMessage(m, limit);
  if (query.flags.opcode !== 0) return reply(baseReply(query, RCode.NOTIMP, ctx.maxUdp));
  if (query.questions.length !== 1) return reply(baseReply(query, RCode.FORMERR, ctx.maxUdp));
  if (query.edns && query.edns.version > 0) return reply(baseReply(query, RCode.BADVERS, ctx.maxUdp)); // RFC 6891 §6.1.3
  const q = query.questions[0]!;
  const inDomain = isInDomain(q.name, ctx.zone.domain);

  const view = ctx.views(client);
  if (!view) {
    // A stranger (or a pod the syncer has not learned yet). Forwarding its
    // cluster-domain names would answer them from the host cluster's DNS,
    // e.g. the host's kubernetes.default: SERVFAIL makes the resolver retry.
    if (inDomain) return reply(baseReply(query, RCode.SERVFAIL, ctx.maxUdp));
    return relay(ctx, query, bytes, transport, limit);
  }
  if (q.class !== CLASS_IN && inDomain) return reply(baseReply(query, RCode.REFUSED, ctx.maxUdp));
  const zoneAnswer = q.class === CLASS_IN ? answerFromZone(view, q, ctx.zone) : undefined;
  if (!zoneAnswer) return relay(ctx, query, bytes, transport, limit);

  const m = baseReply(query, zoneAnswer.rcode === 'NXDOMAIN' ? RCode.NXDOMAIN : RCode.NOERROR, ctx.maxUdp);
  m.flags.aa = true;
  m.answers = zoneAnswer.answers;
  m.authority = zoneAnswer.authority;
  m.additional = zoneAnswer.additional;
  if (zoneAnswer.chase) {
    // An ExternalName service: resolve its target too, as CoreDNS does, so
    // clients get addresses in one round trip. If upstream fails, the CNAME
    // alone is still a correct answer; the client's resolver follows it.
    const chased = await resolveUpstream(ctx, zoneAnswer.chase);
    if (chased) {
      m.answers.push(...chased.answers);
      if (chased.rcode === RCode.NXDOMAIN) m.rcode = RCode.NXDOMAIN;
    }
  }
  return reply(m);
}

async function relay(ctx: HandlerContext, query: Message, bytes: Buffer, transport: Transport, limit: number): Promise<Buffer> {
  const answer = await forwardQuery(bytes, ctx.upstreams, transport, ctx.timeoutMs);
  if (!answer) return encodeMessage(baseReply(query, RCode.SERVFAIL, ctx.maxUdp), limit);
  if (answer.length <= limit) return answer;
  // Larger than this client takes over UDP (the upstream may allow more than
  // we do): the header and question with TC set, so it retries over TCP.
  const peek = peekQuestion(answer);
  if (!peek) return encodeMessage(baseReply(query, RCode.SERVFAIL, ctx.maxUdp), limit);
  const m = baseReply(query, peek.rcode, ctx.maxUdp);
  m.flags = { ...peek.flags, tc: true };
  return encodeMessage(m, limit);
}

/** Resolves a name upstream (UDP, then TCP if truncated) for a CNAME chase. */
async function resolveUpstream(ctx: HandlerContext, q: { name: string; type: number }): Promise<Message | undefined> {
  const query: Message = {
    id: randomInt(0x10000), flags: { ...emptyFlags(), rd: true }, rcode: 0,
    questions: [{ name: q.name, type: q.type, class: CLASS_IN }], answers: [], authority: [], additional: [],
    edns: { udpSize: ctx.maxUdp, version: 0, dnssecOk: false, options: new Uint8Array() },
  };
  const bytes = encodeMessage(query);
  let answer = await forwardQuery(bytes, ctx.upstreams, 'udp', ctx.timeoutMs);
  if (answer && peekQuestion(answer)?.flags.tc) answer = await forwardQuery(bytes, ctx.upstreams, 'tcp', ctx.timeoutMs);
  if (!answer) return undefined;
  try {
    return decodeMessage(answer);
  } catch {
    return undefined;
  }
}

/** A reply carrying the query's id, question, RD and (if it used EDNS) an OPT record of ours. */
function baseReply(query: Message, rcode: number, maxUdp: number): Message {
  const edns: Edns | undefined = query.edns
    ? { udpSize: maxUdp, version: 0, dnssecOk: query.edns.dnssecOk, options: new Uint8Array() }
    : undefined;
  return {
    id: query.id,
    flags: { ...emptyFlags(), qr: true, opcode: query.flags.opcode, rd: query.flags.rd, ra: true, cd: query.flags.cd },
    rcode: rcode > 0xf && !edns ? RCode.FORMERR : rcode,
    questions: query.questions.slice(0, 1) as Question[],
    answers: [], authority: [], additional: [],
    edns,
  };
}

/** FORMERR/SERVFAIL for bytes we could not (fully) parse: their id, and their question if readable. */
function errorReply(bytes: Buffer, rcode: number): Buffer | undefined {
  const header = peekHeader(bytes);
  if (!header || header.qr) return undefined;
  const q = peekQuestion(bytes)?.question;
  const build = (questions: Question[]) => encodeMessage({
    id: header.id,
    flags: { ...emptyFlags(), qr: true, opcode: header.opcode, rd: header.rd, ra: true },
    rcode,
    questions,
    answers: [], authority: [], additional: [],
  }, 512);
  try {
    return build(q ? [q] : []);
  } catch {
    return build([]); // a question we read but cannot write back
  }
}
