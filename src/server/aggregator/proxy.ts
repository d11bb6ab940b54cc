// Requests for an aggregated group/version, proxied to its APIService's
// Service as kube-aggregator's proxy handler does: HTTPS to an endpoint of
// the Service (the cluster's dialer), the certificate checked for
// `NAME.NAMESPACE.svc` against the caBundle (or not, with
// insecureSkipTLSVerify), the cluster's front-proxy client certificate
// presented, the caller named in X-Remote-User/-Uid/-Group/-Extra-* (its own
// Authorization, Impersonate-* and X-Remote-* headers dropped), the path as
// the client sent it below /clusters/NAME and the query re-encoded; the
// answer streamed back as it comes (watches), upgrades joined both ways.
//
// Failures are upstream's plain-text answers: 503 `service unavailable` when
// the APIService is not Available or its Service does not resolve, 503 with
// the transport's error otherwise.

import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { UserInfo } from '../../registry/types.ts';
import { ServiceDialError } from '../service-dial.ts';
import { answerHeaders, echoRefusal, forwardedHeaders, joinSockets, rawHead, rawPairs, relayAnswer } from '../streaming/proxy.ts';
import { transportText } from '../admission/webhooks/client.ts';
import { frontProxyOf } from './front-proxy.ts';
import { authProxyHeaders } from './headers.ts';
import type { Aggregator, Backend } from './index.ts';

/** The DNS name a backend's serving certificate is checked against. */
export function serviceHost(b: Backend): string {
  return `${b.service.name}.${b.service.namespace}.svc`;
}

/** A failure to reach a backend: `resolve` when its Service has nowhere to go. */
export class BackendError extends Error {
  readonly stage: 'resolve' | 'dial';
  constructor(message: string, stage: 'resolve' | 'dial') {
    super(message);
    this.stage = stage;
  }
}

/** A TLS connection to the backend, as the aggregator's transport makes it. */
export async function connectBackend(agg: Aggregator, b: Backend, signal?: AbortSignal): Promise<TLSSocket> {
  let raw: Duplex;
  try {
    raw = await agg.dial(b.service, signal);
  } catch (e) {
    if (e instanceof ServiceDialError) throw new BackendError(e.message, e.stage);
    throw new BackendError((e as Error)?.message ?? String(e), 'dial');
  }
  const fp = await frontProxyOf(agg.vc);
  const servername = serviceHost(b);
  return new Promise<TLSSocket>((resolve, reject) => {
    const tls = tlsConnect({
      socket: raw, servername: isIP(servername) === 0 ? servername : undefined, ca: b.caPem,
      cert: fp.certPem, key: fp.keyPem, rejectUnauthorized: !b.insecureSkipTLSVerify, ALPNProtocols: ['http/1.1'],
    });
    const fail = (e: Error) => {
      tls.destroy();
      raw.destroy();
      reject(new BackendError(transportText(e, { host: servername, port: b.service.port, serverName: servername }), 'dial'));
    };
    tls.once('error', fail);
    tls.once('secureConnect', () => {
      tls.off('error', fail);
      resolve(tls);
    });
    signal?.addEventListener('abort', () => fail(new Error('context canceled')), { once: true });
  });
}

/** Go's http.Error: a plain-text body and a line end. */
export function plainError(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = `${text}\n`;
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function plainErrorRaw(socket: Duplex, code: number, text: string): void {
  const body = `${text}\n`;
  const reason = code === 503 ? 'Service Unavailable' : 'Internal Server Error';
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Go's url.Values.Encode: keys sorted, each key's values in order. */
export function encodeQuery(query: URLSearchParams): string {
  const keys = [...new Set(query.keys())].sort();
  const out = new URLSearchParams();
  for (const k of keys) for (const v of query.getAll(k)) out.append(k, v);
  const s = out.toString();
  return s === '' ? '' : `?${s}`;
}

/** The headers a backend gets: the client's, without its credentials and hop-by-hop ones, and the caller's identity. */
export function backendHeaders(req: IncomingMessage, user: UserInfo, b: Backend, upgrade: boolean): OutgoingHttpHeaders {
  const headers = forwardedHeaders(req, { upgrade });
  headers.host = `${serviceHost(b)}:${b.service.port}`;
  return { ...headers, ...authProxyHeaders(user) };
}

export async function proxyRequest(agg: Aggregator, b: Backend, req: IncomingMessage, res: ServerResponse, user: UserInfo,
  path: string, query: URLSearchParams): Promise<void> {
  if (!b.available) {
    req.resume();
    plainError(res, 503, 'service unavailable');
    return;
  }
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  let tls: TLSSocket;
  try {
    tls = await connectBackend(agg, b, abort.signal);
  } catch (e) {
    req.resume();
    const err = e as BackendError;
    if (err.stage !== 'resolve') agg.onUnreachable?.(b.name);
    plainError(res, 503, err.stage === 'resolve' ? 'service unavailable' : err.message);
    return;
  }
  const back = await new Promise<IncomingMessage | undefined>((resolve) => {
    const out = httpRequest({
      method: req.method ?? 'GET', path: path + encodeQuery(query), headers: backendHeaders(req, user, b, false),
      createConnection: () => tls,
    });
    out.on('error', (e) => {
      agg.onUnreachable?.(b.name);
      if (!res.headersSent) plainError(res, 503, transportText(e, { host: serviceHost(b), port: b.service.port, serverName: serviceHost(b) }));
      else res.destroy();
      resolve(undefined);
    });
    out.on('response', resolve);
    res.once('close', () => { if (!res.writableFinished) out.destroy(); });
    req.pipe(out);
  });
  if (!back) return;
  await relayAnswer(back, res, answerHeaders(back.rawHeaders, { dropCors: false }));
}

export async function proxyUpgrade(agg: Aggregator, b: Backend, req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo,
  path: string, query: URLSearchParams): Promise<void> {
  socket.on('error', () => { /* its 'close' ends the session */ });
  if (!b.available) { plainErrorRaw(socket, 503, 'service unavailable'); return; }
  let tls: TLSSocket;
  try {
    tls = await connectBackend(agg, b);
  } catch (e) {
    const err = e as BackendError;
    if (err.stage !== 'resolve') agg.onUnreachable?.(b.name);
    plainErrorRaw(socket, 503, err.stage === 'resolve' ? 'service unavailable' : err.message);
    return;
  }
  const answer = await new Promise<{ back: IncomingMessage; upstream?: Duplex; upHead?: Buffer } | undefined>((resolve) => {
    const out = httpRequest({
      method: req.method ?? 'GET', path: path + encodeQuery(query), headers: backendHeaders(req, user, b, true),
      createConnection: () => tls,
    });
    out.on('error', (e) => {
      plainErrorRaw(socket, 503, transportText(e, { host: serviceHost(b), port: b.service.port, serverName: serviceHost(b) }));
      resolve(undefined);
    });
    out.on('upgrade', (back, upstream, upHead) => resolve({ back, upstream, upHead }));
    out.on('response', (back) => resolve({ back }));
    socket.once('close', () => out.destroy());
    out.end();
  });
  if (!answer) return;
  const { back, upstream, upHead } = answer;
  if (!upstream) {
    await echoRefusal(back, socket);
    return;
  }
  if (socket.destroyed) { upstream.destroy(); return; }
  socket.write(rawHead(101, back.statusMessage, rawPairs(back.rawHeaders)));
  if (upHead && upHead.length > 0) socket.write(upHead);
  if (head.length > 0) upstream.write(head);
  await joinSockets(socket, upstream);
}

/** One GET to a backend (the availability check): the status and body, or a BackendError / transport error text. */
export async function backendGet(agg: Aggregator, b: Backend, path: string, headers: Record<string, string | string[]>,
  timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const tls = await connectBackend(agg, b, abort.signal);
    return await new Promise((resolve, reject) => {
      const out = httpRequest({
        method: 'GET', path, headers: { host: `${serviceHost(b)}:${b.service.port}`, accept: 'application/json', ...headers },
        createConnection: () => tls,
      });
      const onAbort = () => { out.destroy(); reject(new BackendError('context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 'dial')); };
      abort.signal.addEventListener('abort', onAbort, { once: true });
      out.on('error', (e) => reject(new BackendError(transportText(e, { host: serviceHost(b), port: b.service.port, serverName: serviceHost(b) }), 'dial')));
      out.on('response', (back) => {
        const chunks: Buffer[] = [];
        back.on('data', (c: Buffer) => chunks.push(c));
        back.on('error', (e) => reject(new BackendError(e.message, 'dial')));
        back.on('end', () => resolve({ status: back.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      out.end();
    });
  } finally {
    clearTimeout(timer);
  }
}
