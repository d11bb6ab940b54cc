// HTTP/1.1 requests with whole bodies over kept-alive sockets, for the host
// connection's JSON requests. node:http's client machinery (ClientRequest,
// IncomingMessage streams, the agent's bookkeeping) costs about 100 µs of CPU
// per request beyond the bytes themselves, three times what this needs; a
// syncer sends two or more requests per pod, so it writes the request in one
// piece and reads the answer by hand. Watches, streams, upgrades and proxied
// requests keep to node:http.

import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';

/** Where a request goes and how to reach it. */
export interface LeanTarget {
  readonly tls: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly secureContext?: SecureContext;
  readonly servername?: string;
  readonly rejectUnauthorized?: boolean;
}

export interface LeanResponse {
  readonly status: number;
  /** Header names in lower case (the last value of a repeated one). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** The connection broke or the answer could not be read; `reused`: on a socket kept from an earlier request. */
export class LeanHttpError extends Error {
  readonly reused: boolean;
  readonly answered: boolean;
  constructor(message: string, reused: boolean, answered: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reused = reused;
    this.answered = answered;
  }
}

/** A kept socket unused this long is not used again: servers close idle ones (Node's after 5 s). */
const IDLE_REUSE_MS = 4000;
/** Kept sockets per target. */
const MAX_IDLE = 64;

interface Idle { readonly socket: Socket; readonly since: number; readonly gone: () => void }

export class LeanPool {
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  /**
   * Send one request and read its whole answer. A request that fails on a kept socket
   * before any answer arrived (the server had closed it) is sent once more on a new one.
   */
  async request(target: LeanTarget, method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<LeanResponse> {
    try {
      return await this.once(target, method, path, headers, body, timeoutMs, true);
    } catch (e) {
      if (!(e instanceof LeanHttpError && e.reused && !e.answered) || this.closed) throw e;
      return await this.once(target, method, path, headers, body, timeoutMs, false);
    }
  }

  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const i of list) i.socket.destroy();
    this.idle.clear();
  }

  private once(target: LeanTarget, method: string, path: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number, mayReuse: boolean): Promise<LeanResponse> {
    const key = targetKey(target);
    const kept = mayReuse ? this.take(key) : undefined;
    const socket = kept ?? this.open(target);
    const reused = kept !== undefined;
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader(target)}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (body !== undefined && !hasHeader(headers, 'content-length')) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    head += '\r\n';
    return new Promise<LeanResponse>((resolve, reject) => {
      const reader = new ResponseReader(method === 'HEAD');
      let done = false;
      const finish = (err: Error | undefined, res?: LeanResponse, keep = false) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.off('end', onEnd);
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        if (keep && !this.closed) this.keep(key, socket);
        else socket.destroy();
        resolve(res!);
      };
      const onData = (chunk: Buffer) => {
        let out: ReturnType<ResponseReader['push']>;
        try {
          out = reader.push(chunk);
        } catch (e) {
          finish(new LeanHttpError(`unreadable answer to ${method} ${path}: ${(e as Error).message}`, reused, true));
          return;
        }
        if (out) finish(undefined, out.response, out.keepAlive);
      };
      const broke = (cause?: unknown) => {
        // An answer read to the connection's end is complete (no length, no chunks).
        const whole = reader.atEnd();
        if (whole) finish(undefined, whole, false);
        else finish(new LeanHttpError(`the connection to the host broke during ${method} ${path}`, reused, reader.started, cause));
      };
      const onError = (e: Error) => broke(e);
      const onClose = () => broke();
      const onEnd = () => broke();
      const timer = setTimeout(() => finish(new LeanHttpError(`no answer to ${method} ${path} within ${timeoutMs / 1000}s`, false, true)), timeoutMs);
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('end', onEnd);
      socket.write(body === undefined ? head : head + body);
    });
  }

  private open(t: LeanTarget): Socket {
    const socket = t.tls
      ? tlsConnect({
        host: t.hostname, port: t.port, secureContext: t.secureContext, ALPNProtocols: ['http/1.1'],
        // No SNI for an address (TLS forbids it); the certificate is still checked against it.
        servername: t.servername ?? (isIP(t.hostname) ? undefined : t.hostname),
        rejectUnauthorized: t.rejectUnauthorized ?? true,
      })
      : netConnect({ host: t.hostname, port: t.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // Errors after a request is done with the socket (it is destroyed, or kept) are nobody's:
    // the request's own listener sees those during it.
    socket.on('error', noop);
    return socket;
  }

  private take(key: string): Socket | undefined {
    const list = this.idle.get(key);
    const now = performance.now();
    while (list && list.length > 0) {
      const i = list.pop()!;
      i.socket.off('close', i.gone);
      if (now - i.since < IDLE_REUSE_MS && !i.socket.destroyed) return i.socket;
      i.socket.destroy();
    }
    return undefined;
  }

  private keep(key: string, socket: Socket): void {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    if (list.length >= MAX_IDLE) {
      socket.destroy();
      return;
    }
    const kept = list;
    const entry: Idle = {
      socket, since: performance.now(),
      gone: () => {
        const at = kept.indexOf(entry);
        if (at >= 0) kept.splice(at, 1);
      },
    };
    kept.push(entry);
    // A kept socket the server closes leaves the pool.
    socket.on('close', entry.gone);
  }
}

function noop(): void {}

function targetKey(t: LeanTarget): string {
  return `${t.tls ? 's' : 'p'}|${t.hostname}|${t.port}|${t.servername ?? ''}|${t.rejectUnauthorized ?? ''}|${contextId(t.secureContext)}`;
}

const contextIds = new WeakMap<SecureContext, number>();
let nextContextId = 1;
function contextId(c: SecureContext | undefined): number {
  if (!c) return 0;
  let id = contextIds.get(c);
  if (id === undefined) contextIds.set(c, (id = nextContextId++));
  return id;
}

function hostHeader(t: LeanTarget): string {
  const host = isIP(t.hostname) === 6 ? `[${t.hostname}]` : t.hostname;
  return t.port === (t.tls ? 443 : 80) ? host : `${host}:${t.port}`;
}

function hasHeader(h: Record<string, string>, name: string): boolean {
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return true;
  return false;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** One HTTP/1.x answer read from the bytes as they come. */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private status = 0;
  private headers = new Map<string, string>();
  private bodyMode: 'length' | 'chunked' | 'close' | 'none' = 'none';
  private length = 0;
  private keepAlive = true;
  private inBody = false;
  private readonly chunks: Buffer[] = [];
  private readonly noBody: boolean;
  started = false;

  constructor(noBody: boolean) {
    this.noBody = noBody;
  }

  /** The answer once complete, and whether the socket may carry another request. */
  push(chunk: Buffer): { response: LeanResponse; keepAlive: boolean } | undefined {
    this.started = true;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.inBody) {
        const end = this.buf.indexOf(CRLF2);
        if (end < 0) {
          if (this.buf.length > 64 * 1024) throw new Error('headers too long');
          return undefined;
        }
        this.readHead(this.buf.toString('latin1', 0, end));
        this.buf = this.buf.subarray(end + 4);
        // An interim answer (100 Continue and the like) is followed by the real one.
        if (this.status >= 100 && this.status < 200 && this.status !== 101) { this.headers = new Map(); continue; }
        this.inBody = true;
      }
      return this.readBody();
    }
  }

  /** For a body that runs to the connection's end: the answer, once the connection ended. */
  atEnd(): LeanResponse | undefined {
    if (!this.inBody || this.bodyMode !== 'close') return undefined;
    this.chunks.push(this.buf);
    return this.response();
  }

  private readHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    this.status = Number(m[2]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i]!.indexOf(':');
      if (colon <= 0) throw new Error('malformed header line');
      headers.set(lines[i]!.slice(0, colon).trim().toLowerCase(), lines[i]!.slice(colon + 1).trim());
    }
    this.headers = headers;
    const connection = (headers.get('connection') ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const te = (headers.get('transfer-encoding') ?? '').toLowerCase();
    const cl = headers.get('content-length');
    if (this.noBody || this.status === 204 || this.status === 304) this.bodyMode = 'none';
    else if (te !== '' && te !== 'identity') {
      if (!te.endsWith('chunked')) throw new Error(`transfer encoding ${te} is not supported`);
      this.bodyMode = 'chunked';
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new Error(`bad content-length ${cl}`);
      this.bodyMode = 'length';
      this.length = Number(cl);
    } else {
      this.bodyMode = 'close';
      this.keepAlive = false;
    }
  }

  private readBody(): { response: LeanResponse; keepAlive: boolean } | undefined {
    switch (this.bodyMode) {
      case 'none':
        return this.done();
      case 'length':
        if (this.buf.length < this.length) return undefined;
        this.chunks.push(this.buf.subarray(0, this.length));
        // Bytes past the answer would be a reply to nothing: do not reuse such a socket.
        if (this.buf.length > this.length) this.keepAlive = false;
        return this.done();
      case 'close':
        this.chunks.push(this.buf);
        this.buf = Buffer.alloc(0);
        return undefined;
      case 'chunked':
        for (;;) {
          const eol = this.buf.indexOf('\r\n');
          if (eol < 0) return undefined;
          const size = parseInt(this.buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
          if (Number.isNaN(size)) throw new Error('bad chunk size');
          if (size === 0) {
            // Trailers (usually none) end with an empty line.
            const end = this.buf.indexOf(CRLF2, eol);
            if (this.buf.indexOf('\r\n', eol + 2) === eol + 2) return this.done();
            if (end < 0) return undefined;
            return this.done();
          }
          if (this.buf.length < eol + 2 + size + 2) return undefined;
          this.chunks.push(this.buf.subarray(eol + 2, eol + 2 + size));
          this.buf = this.buf.subarray(eol + 2 + size + 2);
        }
    }
  }

  private done(): { response: LeanResponse; keepAlive: boolean } {
    return { response: this.response(), keepAlive: this.keepAlive };
  }

  private response(): LeanResponse {
    const body = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    return { status: this.status, headers: this.headers, body };
  }
}
