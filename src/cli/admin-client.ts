// An HTTPS client for the kubevisor admin API (docs/admin-api.md): finds the
// server and credentials in a kubeconfig the way kubectl does, sends JSON,
// streams bytes in and out, watches, and turns a Kubernetes Status into the
// message kubectl prints ("Error from server (NotFound): ...").
import { readFile } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { PrintedError } from './command.ts';

/** The kubeconfig context `kubevisor up` and `kubevisor serve` write for the admin API. */
export const ADMIN_CONTEXT = 'kubevisor-admin';

type Json = Record<string, unknown>;

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

// ---------------------------------------------------------------------------
// Kubeconfig files

interface Named {
  readonly name: string;
  readonly value: Json;
  /** The file the entry came from: relative paths in it are relative to its directory. */
  readonly file: string;
}

/** The kubeconfig files kubectl reads, merged: the first file to define a name wins. */
export interface LoadedKubeconfig {
  readonly files: readonly string[];
  readonly currentContext: string | undefined;
  readonly clusters: ReadonlyMap<string, Named>;
  readonly users: ReadonlyMap<string, Named>;
  readonly contexts: ReadonlyMap<string, Named>;
}

export interface KubeconfigLocation {
  /** --kubeconfig: only this file. */
  readonly kubeconfig?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly cwd?: string;
}

/** The files kubectl would read: --kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(loc: KubeconfigLocation): string[] {
  const abs = (p: string) => resolve(loc.cwd ?? process.cwd(), p);
  if (loc.kubeconfig !== undefined) return [abs(loc.kubeconfig)];
  const fromEnv = (loc.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) return [...new Set(fromEnv.map(abs))];
  return [join(loc.home, '.kube', 'config')];
}

/** Read and merge the kubeconfig files; missing files count as empty (an explicit --kubeconfig must exist). */
export async function loadKubeconfig(loc: KubeconfigLocation): Promise<LoadedKubeconfig> {
  const { parse } = await import('yaml');
  const files = kubeconfigFiles(loc);
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let currentContext: string | undefined;
  for (const file of files) {
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && loc.kubeconfig === undefined) continue;
      throw new Error(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parse(content);
    } catch (err) {
      throw new Error(`cannot parse kubeconfig ${file}: ${(err as Error).message}`);
    }
    const config = rec(doc);
    currentContext ??= text(config['current-context']);
    const add = (map: Map<string, Named>, list: unknown, key: string) => {
      if (!Array.isArray(list)) return;
      for (const item of list) {
        const name = text(rec(item).name);
        if (name !== undefined && !map.has(name)) map.set(name, { name, value: rec(rec(item)[key]), file });
      }
    };
    add(clusters, config.clusters, 'cluster');
    add(users, config.users, 'user');
    add(contexts, config.contexts, 'context');
  }
  return { files, currentContext, clusters, users, contexts };
}

// ---------------------------------------------------------------------------
// Finding the admin API

export interface AdminTarget {
  /** https://HOST:PORT (maybe with a path prefix). */
  readonly server: string;
  /** The context used, for messages; undefined with --server and no context. */
  readonly context: string | undefined;
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly token?: string | undefined;
  readonly insecure?: boolean;
}

export interface ConnectionOptions extends KubeconfigLocation {
  readonly server?: string | undefined;
  readonly context?: string | undefined;
}

async function dataOrFile(entry: Named, dataKey: string, fileKey: string): Promise<Buffer | undefined> {
  const data = text(entry.value[dataKey]);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const path = text(entry.value[fileKey]);
  if (path === undefined) return undefined;
  const full = isAbsolute(path) ? path : join(dirname(entry.file), path);
  try {
    return await readFile(full);
  } catch (err) {
    throw new Error(`cannot read ${fileKey} ${full} of kubeconfig ${entry.file}: ${(err as Error).message}`);
  }
}

/**
 * Where the admin API is and how to authenticate to it: the context given
 * with --context, else `kubevisor-admin`; --server replaces its address.
 */
export async function resolveAdminTarget(o: ConnectionOptions): Promise<AdminTarget> {
  const config = await loadKubeconfig(o);
  const contextName = o.context ?? ADMIN_CONTEXT;
  const context = config.contexts.get(contextName);
  if (!context) {
    if (o.context !== undefined) throw new Error(`context "${o.context}" not found in ${config.files.join(', ')}`);
    if (o.server !== undefined) return { server: checkServer(o.server), context: undefined };
    throw new Error(
      `no kubeconfig context "${ADMIN_CONTEXT}" in ${config.files.join(', ')}: start a server with "kubevisor serve" ` +
        `(or "kubevisor up"), or point at one with --kubeconfig, --context or --server`,
    );
  }
  const clusterName = text(context.value.cluster);
  const cluster = clusterName === undefined ? undefined : config.clusters.get(clusterName);
  if (!cluster && o.server === undefined) throw new Error(`context "${contextName}" names cluster "${clusterName ?? ''}", which is not in the kubeconfig`);
  const userName = text(context.value.user);
  const user = userName === undefined ? undefined : config.users.get(userName);
  const server = o.server ?? text(cluster?.value.server);
  if (server === undefined) throw new Error(`cluster "${clusterName}" of context "${contextName}" has no server`);
  let token = user ? text(user.value.token) : undefined;
  const tokenFile = user ? text(user.value.tokenFile) : undefined;
  if (token === undefined && tokenFile !== undefined && user) {
    token = (await readFile(isAbsolute(tokenFile) ? tokenFile : join(dirname(user.file), tokenFile), 'utf8')).trim();
  }
  return {
    server: checkServer(server),
    context: contextName,
    ca: cluster ? await dataOrFile(cluster, 'certificate-authority-data', 'certificate-authority') : undefined,
    cert: user ? await dataOrFile(user, 'client-certificate-data', 'client-certificate') : undefined,
    key: user ? await dataOrFile(user, 'client-key-data', 'client-key') : undefined,
    token,
    insecure: cluster?.value['insecure-skip-tls-verify'] === true,
  };
}

function checkServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`invalid server address "${server}": expected https://HOST:PORT`);
  }
  if (url.protocol !== 'https:') throw new Error(`invalid server address "${server}": kubevisor serves https only`);
  return server.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------
// Errors

/** A failed request: the server's Status (or what stood for it). */
export class ApiError extends PrintedError {
  readonly code: number;
  readonly reason: string;
  readonly status: Json;
  constructor(code: number, reason: string, message: string, status: Json) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}

/** kubectl's reasons for status codes, when the body says none. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Gone', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** The error kubectl would print for this response. */
export function apiError(statusCode: number, body: string, what: string): ApiError {
  let status: Json = {};
  try {
    status = rec(JSON.parse(body));
  } catch {
    status = {};
  }
  const isStatus = status.kind === 'Status';
  const reason = (isStatus && text(status.reason)) || REASONS[statusCode] || 'Unknown';
  let message = isStatus ? text(status.message) : undefined;
  if (statusCode === 401) {
    return new ApiError(statusCode, reason, `error: You must be logged in to the server (${message ?? 'Unauthorized'})`, status);
  }
  if (message === undefined) {
    const snippet = body.trim().slice(0, 200);
    message = `the server responded with the status code ${statusCode} but did not return more information${snippet ? `: ${snippet}` : ''} (${what})`;
  }
  return new ApiError(statusCode, reason, `Error from server (${reason}): ${message}`, status);
}

// ---------------------------------------------------------------------------
// Requests

export interface RequestInit {
  readonly method?: string;
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body (sent as application/json unless contentType says otherwise). */
  readonly json?: unknown;
  /** A byte body. */
  readonly body?: Readable | Buffer;
  readonly contentType?: string;
  readonly contentLength?: number;
  readonly accept?: string;
  /** Give up after this long without an answer; 0: never (watches). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class AdminClient {
  readonly target: AdminTarget;

  constructor(target: AdminTarget) {
    this.target = target;
  }

  url(path: string, query?: Readonly<Record<string, string>>): URL {
    const base = new URL(this.target.server);
    const url = new URL(base.pathname.replace(/\/+$/, '') + path, base);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  /** Send a request; resolves with the response (any status) once its headers arrive. */
  send(path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const url = this.url(path, init.query);
    const headers: Record<string, string> = { Accept: init.accept ?? 'application/json', 'User-Agent': 'kubevisor-cli' };
    if (this.target.token !== undefined && this.target.cert === undefined) headers.Authorization = `Bearer ${this.target.token}`;
    let payload: Buffer | Readable | undefined;
    if (init.json !== undefined) {
      payload = Buffer.from(JSON.stringify(init.json));
      headers['Content-Type'] = init.contentType ?? 'application/json';
    } else if (init.body !== undefined) {
      payload = init.body;
      headers['Content-Type'] = init.contentType ?? 'application/octet-stream';
    }
    if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
    else if (init.contentLength !== undefined) headers['Content-Length'] = String(init.contentLength);
    const options: RequestOptions = {
      method: init.method ?? 'GET',
      headers,
      agent: false,
      ca: this.target.ca,
      cert: this.target.cert,
      key: this.target.key,
      rejectUnauthorized: !this.target.insecure,
      signal: init.signal,
    };
    const timeoutMs = init.timeoutMs ?? 30_000;
    return new Promise((resolveResponse, reject) => {
      const req = request(url, options, resolveResponse);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${options.method} ${url.pathname}: no answer from ${this.target.server} within ${Math.round(timeoutMs / 1000)}s`)));
      }
      req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(err, this.target)));
      if (payload === undefined) req.end();
      else if (Buffer.isBuffer(payload)) req.end(payload);
      else {
        payload.on('error', (err) => req.destroy(err));
        payload.pipe(req);
      }
    });
  }

  /** A JSON request; throws ApiError for a non-2xx answer. */
  async json<T = Json>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.send(path, init);
    const body = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw apiError(status, body, `${init.method ?? 'GET'} ${path}`);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new Error(`${init.method ?? 'GET'} ${path}: the server answered with something that is not JSON: ${body.slice(0, 200)}`);
    }
  }

  /** A GET whose body is streamed to the caller; throws ApiError for a non-2xx answer. */
  async stream(path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const res = await this.send(path, init);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw apiError(status, await readBody(res), `${init.method ?? 'GET'} ${path}`);
    return res;
  }

  /**
   * Watch a collection: calls `onEvent` for each event until it returns true
   * (resolves true), or the server ends the watch (resolves false).
   */
  async watch(path: string, query: Readonly<Record<string, string>>, onEvent: (type: string, object: Json) => boolean, signal?: AbortSignal): Promise<boolean> {
    const res = await this.stream(path, { query: { ...query, watch: '1' }, timeoutMs: 0, signal });
    return new Promise<boolean>((resolveWatch, reject) => {
      let buffered = '';
      let done = false;
      const finish = (result: boolean) => {
        if (done) return;
        done = true;
        res.destroy();
        resolveWatch(result);
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while (!done && (nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          let event: Json;
          try {
            event = rec(JSON.parse(line));
          } catch {
            continue;
          }
          if (event.type === 'ERROR') {
            done = true;
            res.destroy();
            const status = rec(event.object);
            reject(apiError(typeof status.code === 'number' ? status.code : 500, JSON.stringify(status), `watch ${path}`));
            return;
          }
          if (onEvent(String(event.type), rec(event.object))) finish(true);
        }
      });
      res.on('end', () => finish(false));
      res.on('close', () => finish(false));
      res.on('error', (err) => {
        if (done) return;
        done = true;
        reject(err);
      });
    });
  }
}

function connectionError(err: NodeJS.ErrnoException, target: AdminTarget): Error {
  if (err.name === 'AbortError') return err;
  const where = target.context ? `${target.server} (context "${target.context}")` : target.server;
  if (err.code === 'ECONNREFUSED') return new Error(`cannot connect to the kubevisor server at ${where}: connection refused; is it running?`);
  if (err.code === 'ENOTFOUND') return new Error(`cannot connect to the kubevisor server at ${where}: no such host`);
  if (/TLS|SSL|CERT|VERIFY|SIGNATURE/.test(err.code ?? '')) {
    const message = err.message.replace(/; if the root CA is installed locally.*$/, '');
    return new Error(`cannot connect to the kubevisor server at ${where}: TLS: ${message} (is the kubeconfig's certificate-authority the server's?)`);
  }
  return new Error(`cannot connect to the kubevisor server at ${where}: ${err.message}`);
}

export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** The admin client for a command's --server, --kubeconfig and --context. */
export async function adminClient(o: ConnectionOptions): Promise<AdminClient> {
  return new AdminClient(await resolveAdminTarget(o));
}

/** Where the CLI's own settings live: $KUBEVISOR_CONFIG, else ~/.kubevisor/config. */
export function cliConfigPath(env: NodeJS.ProcessEnv, home: string): string {
  return env.KUBEVISOR_CONFIG || join(home, '.kubevisor', 'config');
}

/**
 * The CLI's settings file (YAML): `server`, `kubeconfig` and `context` to use
 * when the command line does not give them. Absent file: no settings.
 */
export async function readCliConfig(env: NodeJS.ProcessEnv, home: string): Promise<{ server?: string; kubeconfig?: string; context?: string }> {
  const path = cliConfigPath(env, home);
  let textContent: string;
  try {
    textContent = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.KUBEVISOR_CONFIG) return {};
    throw new Error(`cannot read the kubevisor config file ${path}: ${(err as Error).message}`);
  }
  const { parse } = await import('yaml');
  const doc = parse(textContent) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`the kubevisor config file ${path} must hold a mapping`);
  const out: { server?: string; kubeconfig?: string; context?: string } = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (k !== 'server' && k !== 'kubeconfig' && k !== 'context') throw new Error(`unknown setting "${k}" in the kubevisor config file ${path} (known: server, kubeconfig, context)`);
    if (typeof v !== 'string') throw new Error(`setting "${k}" in the kubevisor config file ${path} must be a string`);
    out[k] = k === 'kubeconfig' && v.startsWith('~/') ? join(home, v.slice(2)) : v;
  }
  return out;
}

/** The admin client for a parsed command line's --server, --kubeconfig and --context (else the CLI config file's). */
export async function clientForArgs(
  values: Readonly<Record<string, string | boolean>>,
  io: { readonly env: NodeJS.ProcessEnv; readonly home: string; readonly cwd: string },
): Promise<AdminClient> {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const file = await readCliConfig(io.env, io.home);
  return adminClient({
    server: s('server') ?? file.server, context: s('context') ?? file.context, kubeconfig: s('kubeconfig') ?? file.kubeconfig,
    env: io.env, home: io.home, cwd: io.cwd,
  });
}

/** The kubeconfig file connect and delete edit: --kubeconfig, else the first of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigToEdit(
  values: Readonly<Record<string, string | boolean>>,
  io: { readonly env: NodeJS.ProcessEnv; readonly home: string; readonly cwd: string },
): string {
  const explicit = typeof values.kubeconfig === 'string' ? values.kubeconfig : undefined;
  return kubeconfigFiles({ kubeconfig: explicit, env: io.env, home: io.home, cwd: io.cwd })[0]!;
}
