// HTTP through the API server to a pod or service: `pods/NAME[:PORT]/proxy[/PATH]`
// and `services/[SCHEME:]NAME[:PORT]/proxy[/PATH]`, in the manner of
// kube-apiserver's proxy subresources (its UpgradeAwareHandler and proxy
// transport):
//
// - Methods GET, POST, PUT, PATCH, DELETE, HEAD and OPTIONS; an upgrade
//   (WebSocket) is passed through as raw bytes once the backend answers 101.
// - The path below `/proxy` is cleaned (`.`, `..`, `//`) and keeps a trailing
//   slash; the query string goes on unchanged. A GET or HEAD of `…/proxy` with
//   nothing after it is redirected (301) to `…/proxy/`.
// - The caller's credentials stay here: Authorization, Impersonate-* and the
//   front-proxy X-Remote-* headers are removed, as are hop-by-hop headers.
//   X-Forwarded-For gets the client's address and X-Forwarded-Uri the path
//   the client asked for. The Host header is the client's.
// - The answer loses its hop-by-hop and CORS headers; a Location header and
//   the links of an HTML page are rewritten to stay under the proxy path
//   (proxy-rewrite.ts).
// - The backend unreachable: 503 `error trying to reach service: …` (500
//   `error dialing backend: …` for an upgrade), with Go's wording of the
//   dial error (`dial tcp 10.0.0.5:80: connect: connection refused`).
//
// Which address a pod or service stands for is the caller's business
// (proxy-targets.ts for simulated pods, syncer/streams-proxy.ts for pods
// synced to a host cluster).

import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../../api/errors.ts';
import { rewriteHtmlBody, rewriteUrl, type RewriteContext } from './proxy-rewrite.ts';

/** The methods upstream's proxy subresources accept. */
export const PROXY_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** `NAME`, `NAME:PORT` or `SCHEME:NAME:PORT` from the proxy path. */
export interface ProxyId {
  readonly scheme: '' | 'http' | 'https';
  readonly name: string;
  /** As given: a number, a port name, or '' for none. */
  readonly port: string;
}

/** Split a proxy id as upstream does; a bad one is a 400 naming it (`invalid pod request "a:b:c:d"`). */
export function parseProxyId(id: string, kind: 'pod' | 'service'): ProxyId {
  const parts = id.split(':');
  let scheme = '';
  let name = '';
  let port = '';
  if (parts.length === 1) [name] = parts as [string];
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  if (name === '' || parts.length > 3 || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) {
    throw errors.badRequest(`invalid ${kind} request "${id}"`);
  }
  return { scheme: scheme as ProxyId['scheme'], name, port };
}

/** The id with another name in it (the host object's), scheme and port as given. */
export function withName(id: string, name: string): string {
  const parts = id.split(':');
  parts[parts.length === 3 ? 1 : 0] = name;
  return parts.join(':');
}

/** Where in the client's URL the proxied part starts. */
export interface ProxyLocation {
  /** The client's path up to and with `/proxy`, as sent (`/clusters/c/api/v1/namespaces/ns/pods/web:80/proxy`). */
  readonly prefix: string;
  /** The path below it, decoded and cleaned; '' for none, `/` for `…/proxy/`. */
  readonly subpath: string;
  /** The client's whole path, as sent. */
  readonly rawPath: string;
  /** The query string as sent, without `?`; '' for none. */
  readonly rawQuery: string;
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Cut the client's request URL at `namespaces/NS/RESOURCE/NAME/proxy`. */
export function proxyLocation(url: string, namespace: string, resource: string, name: string): ProxyLocation {
  let target = url;
  if (!target.startsWith('/')) {
    try {
      const u = new URL(target);
      target = u.pathname + u.search;
    } catch {
      throw errors.pathNotFound();
    }
  }
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  const segs = rawPath.split('/');
  for (let i = 2; i + 2 < segs.length; i++) {
    if (decoded(segs[i + 2]!) !== 'proxy' || decoded(segs[i + 1]!) !== name || decoded(segs[i]!) !== resource) continue;
    if (decoded(segs[i - 1]!) !== namespace || decoded(segs[i - 2]!) !== 'namespaces') continue;
    const rest = segs.length > i + 3 ? '/' + segs.slice(i + 3).join('/') : '';
    return { prefix: segs.slice(0, i + 3).join('/'), subpath: cleanSubpath(decoded(rest)), rawPath, rawQuery };
  }
  throw errors.pathNotFound();
}

/** `.`, `..` and empty segments resolved; a trailing slash kept. */
export function cleanSubpath(p: string): string {
  if (p === '' || p === '/') return p;
  let out = posix.normalize(p.startsWith('/') ? p : '/' + p);
  if (p.endsWith('/') && !out.endsWith('/')) out += '/';
  return out;
}

/** Characters a path keeps as they are when Go's net/url writes it; all others are %-escaped. */
const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

export function escapePath(p: string): string {
  let out = '';
  for (const ch of p) {
    if (PATH_SAFE.test(ch)) { out += ch; continue; }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The request target on the backend: the cleaned subpath (at least `/`) and the query. */
export function backendTarget(loc: ProxyLocation): string {
  return (escapePath(loc.subpath) || '/') + (loc.rawQuery !== '' ? `?${loc.rawQuery}` : '');
}

/**
 * Upstream's answer to a GET or HEAD of `…/proxy` with no path after it: a
 * 301 to `…/proxy/` (so the backend's relative links resolve under it).
 * Returns whether it answered.
 */
export function redirectToSlash(req: IncomingMessage, res: ServerResponse, loc: ProxyLocation): boolean {
  if (loc.subpath !== '' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  res.writeHead(301, { Location: `${loc.rawPath}/${loc.rawQuery !== '' ? `?${loc.rawQuery}` : ''}` });
  res.end();
  return true;
}

/** The backend of a proxied request: where to connect. */
export interface ProxyTarget {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/**
 * The backend cannot be reached (nothing configured, a dial failure). The
 * message is what follows `error trying to reach service: `.
 */
export class DialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DialError';
  }
}

/** A dial or transport failure, worded as Go's net package words it. */
export function dialErrorText(e: unknown, host: string, port: number): string {
  const err = e as NodeJS.ErrnoException | undefined;
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err?.code) {
    case 'ECONNREFUSED': return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `dial tcp: lookup ${host}: no such host`;
    case 'ETIMEDOUT': return `dial tcp ${addr}: i/o timeout`;
    case 'EHOSTUNREACH': return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET': return `read tcp ${addr}: read: connection reset by peer`;
    default: return `${addr}: ${err?.message ?? String(e)}`;
  }
}

/** Upstream's error for a proxied request that reached no backend. */
export function unreachable(message: string): ApiError {
  return errors.serviceUnavailable(`error trying to reach service: ${message}`);
}

/** Upstream's error for an upgrade that reached no backend. */
export function dialFailed(message: string): ApiError {
  return new ApiError(500, 'InternalError', `error dialing backend: ${message}`);
}

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** The caller's credentials, which the API server keeps to itself (upstream's authentication and impersonation filters drop them). */
function isCredential(name: string): boolean {
  return name === 'authorization' || name.startsWith('impersonate-') ||
    name === 'x-remote-user' || name === 'x-remote-group' || name.startsWith('x-remote-extra-');
}

/** Header names a Connection header lists (they are hop-by-hop too). */
function connectionTokens(values: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of values ?? []) for (const t of v.split(',')) if (t.trim() !== '') out.add(t.trim().toLowerCase());
  return out;
}

function clientAddress(req: IncomingMessage): string | undefined {
  const a = req.socket?.remoteAddress;
  return a?.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * The headers of the client's request that go to the backend. An upgrade
 * keeps its Connection and Upgrade headers (the backend must see them);
 * a plain request loses the hop-by-hop ones and gets X-Forwarded-Uri.
 */
export function forwardedHeaders(req: IncomingMessage, opts: { upgrade: boolean; forwardedUri?: string }): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const distinct = req.headersDistinct;
  const listed = opts.upgrade ? new Set<string>() : connectionTokens(distinct.connection);
  for (const [name, values] of Object.entries(distinct)) {
    if (isCredential(name)) continue;
    if (!opts.upgrade && (HOP_BY_HOP.has(name) || listed.has(name))) continue;
    if (name === 'x-forwarded-for' || values === undefined) continue;
    out[name] = values.length === 1 || name === 'host' ? values[0] : values;
  }
  if (!opts.upgrade) {
    if ((distinct.te ?? []).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === 'trailers'))) out.te = 'trailers';
    // A body of unknown length keeps its chunked framing whatever the method.
    if (distinct['transfer-encoding'] !== undefined && distinct['content-length'] === undefined) out['transfer-encoding'] = 'chunked';
    if (opts.forwardedUri !== undefined) out['x-forwarded-uri'] = opts.forwardedUri;
  }
  const prior = (distinct['x-forwarded-for'] ?? []).join(', ');
  const client = clientAddress(req);
  if (client !== undefined) out['x-forwarded-for'] = prior !== '' ? `${prior}, ${client}` : client;
  else if (prior !== '') out['x-forwarded-for'] = prior;
  return out;
}

const CORS_HEADERS: ReadonlySet<string> = new Set([
  'access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin',
]);

/** The backend's answer headers, for the client: hop-by-hop and CORS headers left out, names as sent. */
export function answerHeaders(raw: readonly string[], opts: { dropCors: boolean } = { dropCors: true }): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  const listed = connectionTokens(pairs.filter(([k]) => k.toLowerCase() === 'connection').map(([, v]) => v));
  return pairs.filter(([k]) => {
    const name = k.toLowerCase();
    return !HOP_BY_HOP.has(name) && !listed.has(name) && !(opts.dropCors && CORS_HEADERS.has(name));
  });
}

export function headerValue(pairs: ReadonlyArray<[string, string]>, name: string): string | undefined {
  return pairs.find(([k]) => k.toLowerCase() === name)?.[1];
}

export function setHeader(pairs: Array<[string, string]>, name: string, value: string | undefined): void {
  const at = pairs.findIndex(([k]) => k.toLowerCase() === name);
  const key = at >= 0 ? pairs[at]![0] : name;
  for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i]![0].toLowerCase() === name) pairs.splice(i, 1);
  if (value !== undefined) pairs.splice(at >= 0 ? at : pairs.length, 0, [key, value]);
}

/** Header pairs as writeHead takes them (repeated names kept). */
function headerObject(pairs: ReadonlyArray<[string, string]>): OutgoingHttpHeaders {
  const out: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (const [k, v] of pairs) {
    const key = names.get(k.toLowerCase()) ?? k;
    names.set(k.toLowerCase(), key);
    (out[key] ??= []).push(v);
  }
  return out;
}

export function isHtml(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'text/html';
}

/**
 * Write the backend's answer to the client: headers, then the body as it
 * comes, or, for an HTML page (`rewriteBody`), the whole body rewritten.
 * Resolves when the client's response is over.
 */
export function relayAnswer(back: IncomingMessage, res: ServerResponse, pairs: Array<[string, string]>,
  rewriteBody?: (url: string) => string): Promise<void> {
  return new Promise<void>((resolve) => {
    res.once('close', () => {
      back.destroy();
      resolve();
    });
    back.on('error', () => res.destroy());
    // The backend went mid-answer: the client must not take what it got for the whole answer.
    back.on('close', () => { if (!back.complete) res.destroy(); });
    const status = back.statusCode ?? 502;
    if (rewriteBody && isHtml(headerValue(pairs, 'content-type'))) {
      const chunks: Buffer[] = [];
      back.on('data', (c: Buffer) => chunks.push(c));
      back.on('end', () => {
        const body = Buffer.concat(chunks);
        const rewritten = rewriteHtmlBody(body, headerValue(pairs, 'content-encoding') ?? '', rewriteBody) ?? body;
        // Unchanged (a HEAD, a page without links to move): the backend's length stands.
        if (rewritten !== body) setHeader(pairs, 'content-length', String(rewritten.length));
        res.writeHead(status, back.statusMessage, headerObject(pairs));
        res.end(rewritten);
      });
      return;
    }
    res.writeHead(status, back.statusMessage, headerObject(pairs));
    // Streams (server-sent events, long polls) reach the client as they come.
    res.flushHeaders();
    back.pipe(res);
  });
}

function send(target: ProxyTarget, method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest {
  const common = { host: target.host, port: target.port, method, path, headers };
  if (target.scheme === 'http') return httpRequest(common);
  // Pods and services are reached by address: upstream does not verify their certificates.
  return httpsRequest({ ...common, rejectUnauthorized: false, ...(isIP(target.host) === 0 ? { servername: target.host } : {}) });
}

/**
 * Proxy a plain (non-upgrade) request to the backend `resolve` names.
 * `resolve` throws a DialError when there is none; ApiErrors it throws pass on.
 * Rejects (with an ApiError) only before anything was written to `res`.
 */
export async function proxyHttp(req: IncomingMessage, res: ServerResponse, loc: ProxyLocation, resolve: () => ProxyTarget): Promise<void> {
  if (redirectToSlash(req, res, loc)) return;
  let target: ProxyTarget;
  try {
    target = resolve();
  } catch (e) {
    throw e instanceof DialError ? unreachable(e.message) : e;
  }
  const path = backendTarget(loc);
  const backendPath = escapePath(loc.subpath) || '/';
  let forwardedUri = posix.join(loc.prefix, backendPath);
  if (backendPath.endsWith('/') && !forwardedUri.endsWith('/')) forwardedUri += '/';
  const headers = forwardedHeaders(req, { upgrade: false, forwardedUri });
  const ctx: RewriteContext = {
    prefix: loc.prefix,
    backendHost: `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
    requestHost: req.headers.host ?? '',
  };
  const back = await new Promise<IncomingMessage | undefined>((resolveAnswer, reject) => {
    const out = send(target, req.method ?? 'GET', path, headers);
    out.on('error', (e) => {
      if (res.headersSent || res.destroyed) { res.destroy(); resolveAnswer(undefined); return; }
      reject(unreachable(dialErrorText(e, target.host, target.port)));
    });
    out.on('response', resolveAnswer);
    res.once('close', () => { if (!res.writableFinished) out.destroy(); });
    req.pipe(out);
  });
  if (!back) return;
  const pairs = answerHeaders(back.rawHeaders);
  const location = headerValue(pairs, 'location');
  if (location !== undefined) {
    setHeader(pairs, 'location', rewriteUrl(location, ctx));
    await relayAnswer(back, res, pairs);
    return;
  }
  await relayAnswer(back, res, pairs, (url) => rewriteUrl(url, ctx));
}

/** A 101 (or any answer head) as raw HTTP/1.1 bytes. */
export function rawHead(status: number, message: string | undefined, pairs: ReadonlyArray<[string, string]>): string {
  const lines = [`HTTP/1.1 ${status} ${message || (status === 101 ? 'Switching Protocols' : '')}`.trimEnd()];
  for (const [k, v] of pairs) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The raw header pairs of an answer. */
export function rawPairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/**
 * Join two upgraded sockets until either closes; `stop` cuts both. Resolves
 * when both are closed.
 */
export function joinSockets(client: Duplex, backend: Duplex, stop?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    let open = 2;
    const closed = (): void => {
      if (--open > 0) return;
      stop?.removeEventListener('abort', cut);
      resolve();
    };
    function cut(): void {
      client.destroy();
      backend.destroy();
    }
    client.once('close', closed);
    backend.once('close', closed);
    // When one side is done, so is the session (as upstream: the first copy to finish closes both).
    client.once('close', () => backend.destroy());
    backend.once('close', () => client.destroy());
    client.on('error', cut);
    backend.on('error', cut);
    if (stop?.aborted) cut();
    else stop?.addEventListener('abort', cut, { once: true });
    client.pipe(backend);
    backend.pipe(client);
  });
}

/**
 * Echo a refusal of the backend (status ≥ 400) on the client's socket, body
 * included, and close it, as upstream does for an upgrade the backend refused.
 */
export function echoRefusal(back: IncomingMessage, socket: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    const pairs = rawPairs(back.rawHeaders).filter(([k]) => !['transfer-encoding', 'content-length', 'connection', 'keep-alive'].includes(k.toLowerCase()));
    pairs.push(['Connection', 'close']);
    socket.write(rawHead(back.statusCode ?? 502, back.statusMessage, pairs));
    back.on('error', () => socket.destroy());
    socket.once('close', () => { back.destroy(); resolve(); });
    back.pipe(socket);
    // Don't wait forever for a client that never reads (upstream gives it 10 s).
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

/**
 * Proxy an upgrade (a WebSocket) to the backend `resolve` names: the
 * request goes on with its headers (credentials removed), the backend's 101
 * comes back whole, then bytes flow both ways. Rejects with an ApiError
 * while nothing was written to the socket yet.
 */
export async function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, loc: ProxyLocation,
  resolve: () => ProxyTarget, stop?: AbortSignal): Promise<void> {
  socket.on('error', () => { /* its 'close' ends the session */ });
  let target: ProxyTarget;
  try {
    target = resolve();
  } catch (e) {
    throw e instanceof DialError ? dialFailed(e.message) : e;
  }
  const headers = forwardedHeaders(req, { upgrade: true });
  const answer = await new Promise<{ back: IncomingMessage; upstream?: Duplex; upHead?: Buffer }>((resolveAnswer, reject) => {
    const out = send(target, req.method ?? 'GET', backendTarget(loc), headers);
    out.on('error', (e) => reject(dialFailed(dialErrorText(e, target.host, target.port))));
    out.on('upgrade', (back, upstream, upHead) => resolveAnswer({ back, upstream, upHead }));
    out.on('response', (back) => resolveAnswer({ back }));
    socket.once('close', () => out.destroy());
    out.end();
  });
  const { back, upstream, upHead } = answer;
  if (!upstream) {
    const code = back.statusCode ?? 0;
    if (code >= 400) return echoRefusal(back, socket);
    back.resume();
    throw new ApiError(500, 'InternalError', `invalid upgrade response: status code ${code}`);
  }
  if (socket.destroyed) {
    upstream.destroy();
    return;
  }
  socket.write(rawHead(101, back.statusMessage, rawPairs(back.rawHeaders)));
  if (upHead && upHead.length > 0) socket.write(upHead);
  if (head.length > 0) upstream.write(head);
  await joinSockets(socket, upstream, stop);
}
