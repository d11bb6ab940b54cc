// A test client for connect admission (not part of the build): an exec,
// attach or port-forward upgrade over HTTPS as kubectl 1.30 and later opens
// it (a WebSocket with the channel protocols), answered either by a refusal
// before the upgrade (its Status) or by the switch, after which an exec's
// standard output is read off the channel frames until the server closes.

import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { Socket } from 'node:net';

export interface Refused {
  readonly status: number;
  readonly body: string;
  readonly json: Record<string, unknown>;
}

export interface Connected {
  readonly status: 101;
  readonly protocol: string;
  /** Channel 1 (stdout) of everything the server sent, once it closed the connection. */
  readonly stdout: Promise<string>;
  close(): void;
}

export interface UpgradeTarget {
  readonly port: number;
  readonly ca: string;
  readonly token: string;
  /** The path with its query, e.g. `/clusters/c/api/v1/namespaces/ns/pods/p/exec?command=ls&stdout=true`. */
  readonly path: string;
}

const PROTOCOLS = 'v5.channel.k8s.io, v4.channel.k8s.io, SPDY/3.1+portforward.k8s.io';

export function upgrade(t: UpgradeTarget): Promise<Refused | Connected> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: t.port, path: t.path, method: 'GET', ca: t.ca, agent: false,
      headers: {
        Authorization: `Bearer ${t.token}`, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': PROTOCOLS,
      },
    });
    req.on('upgrade', (res, socket: Socket, head) => {
      resolve({ status: 101, protocol: String(res.headers['sec-websocket-protocol'] ?? ''), stdout: readStdout(socket, head), close: () => socket.destroy() });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(body) as Record<string, unknown>; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server's (unmasked) frames: the payloads of binary frames on channel 1, until the socket closes. */
function readStdout(socket: Socket, head: Buffer): Promise<string> {
  let buf = head;
  const out: Buffer[] = [];
  const parse = (): void => {
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
      if (buf.length < at + len) return;
      const opcode = buf[0]! & 0x0f;
      const payload = buf.subarray(at, at + len);
      if (opcode === 2 && payload[0] === 1) out.push(payload.subarray(1));
      if (opcode === 8) socket.end();
      buf = buf.subarray(at + len);
    }
  };
  return new Promise((resolve) => {
    socket.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); parse(); });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(out).toString('utf8')));
    parse();
  });
}

/** A JSON answer of the API. */
export interface ApiAnswer {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  json: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * An HTTPS client of one cluster's API (`prefix`: `/clusters/NAME`) with a bearer token, for
 * in-process server tests. `headers`: a body's Content-Type (a string; JSON by default) or headers
 * to send; `token`: another caller's.
 */
export function apiClient(target: () => { port: number; ca: string; token: string; prefix: string }): {
  call(method: string, path: string, body?: unknown, headers?: string | Record<string, string>, token?: string): Promise<ApiAnswer>;
  ok(method: string, path: string, body?: unknown, headers?: string | Record<string, string>): Promise<ApiAnswer['json']>;
} {
  const call = (method: string, path: string, body?: unknown, headers: string | Record<string, string> = 'application/json', token?: string): Promise<ApiAnswer> => new Promise((resolve, reject) => {
    const t = target();
    const extra = typeof headers === 'string' ? {} : headers;
    const contentType = typeof headers === 'string' ? headers : 'application/json';
    const req = request({
      host: '127.0.0.1', port: t.port, path: t.prefix + path, method, ca: t.ca, agent: false,
      headers: { Authorization: `Bearer ${token ?? t.token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}), ...extra },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let json: ApiAnswer['json'] = {};
        try { json = JSON.parse(text) as ApiAnswer['json']; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
  const ok = async (method: string, path: string, body?: unknown, headers?: string | Record<string, string>): Promise<ApiAnswer['json']> => {
    const a = await call(method, path, body, headers);
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${a.body}`);
    return a.json;
  };
  return { call, ok };
}

/** The first truthy value `fn` gives, retried every 50ms until `ms` have passed. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
