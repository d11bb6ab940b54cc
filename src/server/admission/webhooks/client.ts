// Calling a webhook over HTTPS as kube-apiserver's webhook client does:
// POST of the AdmissionReview as JSON to the webhook's URL (or its Service's
// `https://NAME.NAMESPACE.svc:PORT/PATH`, the path cleaned as client-go
// cleans it) with `?timeout=Ns`, User-Agent kube-apiserver-admission, the
// server certificate checked against clientConfig.caBundle (the system's
// roots without one) for the URL's host (the Service's DNS name).
//
// Failures are worded as Go's HTTP client and client-go word them, which is
// what follows `failed to call webhook: ` in the client's message:
// `Post "URL": dial tcp HOST:PORT: connect: connection refused`,
// `Post "URL": context deadline exceeded`, `Post "URL": tls: failed to verify
// certificate: x509: ...`; a non-2xx answer: its Status message, or
// client-go's generic text for the code.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { posix } from 'node:path';
import { ApiError } from '../../../api/errors.ts';
import { DialError, dialErrorText } from '../../streaming/proxy.ts';
import { AnswerError, TransportError, type Endpoint, type HttpAnswer, type WebhookPost } from './transport.ts';

export { AnswerError, TransportError, type Endpoint, type HttpAnswer, type WebhookPost } from './transport.ts';

/** The request path client-go sends for a webhook path: joined to "/" and cleaned (no trailing slash). */
export function requestPath(path: string): string {
  return posix.normalize(`/${path}`).replace(/(.)\/+$/, '$1');
}

/** Go's Duration.String() of a whole number of seconds (timeouts are whole seconds). */
export function goSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}

// One pool of kept connections (Node keys them by address and TLS material: CA bundle and server name).
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE',
]);

/** The names a certificate is valid for, as Go lists them ("a, b"). */
function certNames(cert: { subjectaltname?: string; subject?: { CN?: string } } | undefined): string {
  const alt = (cert?.subjectaltname ?? '').split(/,\s*/).map((s) => s.replace(/^(DNS|IP Address):/, '')).filter((s) => s !== '');
  return (alt.length > 0 ? alt : cert?.subject?.CN ? [cert.subject.CN] : []).join(', ');
}

/** A Node failure to reach `ep`, in Go's words. */
export function transportText(e: unknown, ep: Pick<Endpoint, 'host' | 'port' | 'serverName'>): string {
  if (e instanceof TransportError || e instanceof DialError) return e.message;
  if (e instanceof ApiError) return e.message;
  const err = e as NodeJS.ErrnoException & { reason?: string; cert?: { subjectaltname?: string; subject?: { CN?: string } } };
  const code = err?.code ?? '';
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = certNames(err.cert);
    return names === ''
      ? 'tls: failed to verify certificate: x509: certificate is not valid for any names'
      : `tls: failed to verify certificate: x509: certificate is valid for ${names}, not ${ep.serverName}`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL_') || code === 'EPROTO') return `remote error: tls: ${err.reason ?? err.message}`;
  return dialErrorText(e, ep.host, ep.port);
}

/**
 * POST to `ep` over a connection `dial` opens (a Service reached through the
 * cluster's dialer): TLS over it for `ep.serverName` with `ep.ca`, then the
 * request; one connection per call. Failures as post()'s.
 */
export async function postOver(dial: (signal: AbortSignal) => Promise<Duplex>, ep: Endpoint, p: WebhookPost): Promise<HttpAnswer> {
  if (p.signal.aborted) throw new TransportError('context deadline exceeded');
  let raw: Duplex;
  try {
    raw = await dial(p.signal);
  } catch (e) {
    throw new TransportError(p.signal.aborted ? 'context deadline exceeded' : (e as Error)?.message ?? String(e));
  }
  const tls = tlsConnect({ socket: raw, servername: isIP(ep.serverName) === 0 ? ep.serverName : undefined, ca: ep.ca, ALPNProtocols: ['http/1.1'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new Error('aborted'));
      p.signal.addEventListener('abort', onAbort, { once: true });
      tls.once('secureConnect', () => { p.signal.removeEventListener('abort', onAbort); resolve(); });
      tls.once('error', (e) => { p.signal.removeEventListener('abort', onAbort); reject(e); });
    });
  } catch (e) {
    tls.destroy();
    raw.destroy();
    throw new TransportError(p.signal.aborted ? 'context deadline exceeded' : transportText(e, ep));
  }
  try {
    return await post(ep, p, tls);
  } finally {
    tls.destroy();
  }
}

/** POST to `ep`; resolves with the whole answer, rejects with the transport failure in Go's words (a TransportError). */
export function post(ep: Endpoint, p: WebhookPost, over?: TLSSocket): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (p.signal.aborted) { reject(new TransportError('context deadline exceeded')); return; }
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      p.signal.removeEventListener('abort', onAbort);
      reject(new TransportError(p.signal.aborted ? 'context deadline exceeded' : transportText(e, ep)));
    };
    const headers = { ...p.headers, Host: ep.hostHeader, 'Content-Length': String(p.body.length) };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        p.signal.removeEventListener('abort', onAbort);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    };
    const req = over ? httpRequest({ method: 'POST', path: p.path, createConnection: () => over, headers }, onResponse) : httpsRequest({
      host: ep.host, port: ep.port, method: 'POST', path: p.path, agent,
      // The certificate is checked for the server name (the Service's DNS name, the URL's host), not the address dialed.
      servername: isIP(ep.serverName) === 0 ? ep.serverName : undefined,
      ca: ep.ca, headers,
    }, onResponse);
    const onAbort = (): void => { req.destroy(); fail(new Error('aborted')); };
    p.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.end(p.body);
  });
}

/** client-go's text for a non-2xx answer without a Status (NewGenericServerResponse). */
function genericText(code: number, body: string): string {
  switch (code) {
    case 409: return 'the server reported a conflict';
    case 404: return 'the server could not find the requested resource';
    case 400: return 'the server rejected our request for an unknown reason';
    case 401: return 'the server has asked for the client to provide credentials';
    case 403: return body;
    case 406: return body === '' || body === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : body;
    case 415: return body;
    case 405: return 'the server does not allow this method on the requested resource';
    case 422: return 'the server rejected our request due to an error in our request';
    case 503: return 'the server is currently unable to handle the request';
    case 504: return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    case 429: return 'the server has received too many requests and has asked us to try again later';
    default:
      return code >= 500 ? `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding`
        : `the server responded with the status code ${code} but did not return more information`;
  }
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/json|application\/(.+\+)?json)/i.test(contentType.trim());
}

/**
 * The decoded body of a webhook's 2xx answer; an AnswerError worded as
 * client-go's errors otherwise (a Status in the body gives its message).
 */
export function decodeAnswer(a: HttpAnswer): unknown {
  const text = a.body.toString('utf8');
  if (a.status < 200 || a.status > 206) {
    try {
      const s = JSON.parse(text) as { kind?: unknown; status?: unknown; message?: unknown };
      if (s && s.kind === 'Status' && s.status === 'Failure' && typeof s.message === 'string') throw new AnswerError(s.message);
    } catch (e) {
      if (e instanceof AnswerError) throw e;
    }
    const ct = a.headers['content-type'];
    const shown = isTextual(ct) ? text.slice(0, 1024).trim() : 'unknown';
    throw new AnswerError(genericText(a.status, shown));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AnswerError(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}
