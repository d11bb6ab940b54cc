// A connection to the host cluster: the kubeconfig is read by
// @kubernetes/client-node's KubeConfig (contexts, client certificates, tokens,
// exec and OIDC plugins, proxies), and requests go out over one keep-alive
// agent as plain JSON.
//
// Why not client-node's generated clients or KubernetesObjectApi: they build a
// new undici dispatcher (a new TLS connection) for every request, and they
// convert objects through typed models, which drops fields the models do not
// know and turns timestamps into Date objects. A syncer copies objects
// faithfully and sends many requests, so it speaks JSON itself.

import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { KubeList, KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import type { Status } from '../../api/errors.ts';
import { loadClientNode, type KubeConfig } from './client-node.ts';
import { HostError, hostErrorFromResponse, hostErrorFromStatus, toHostError } from './errors.ts';
import { LeanHttpError, LeanPool, type LeanResponse, type LeanTarget } from './lean-http.ts';

/** Where the kubeconfig comes from: a file, or its text (YAML or JSON). */
export type KubeconfigSource = { readonly file: string } | { readonly text: string };

/**
 * A kind of object on the host: its apiVersion and either its resource (plural)
 * name, which needs no discovery, or its kind, resolved once through discovery.
 */
export type HostResource =
  | { readonly apiVersion: string; readonly plural: string }
  | { readonly apiVersion: string; readonly kind: string };

/** 429s a request is tried again after (client-go: 10). */
const MAX_429_RETRIES = 10;

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export interface ConnectOptions {
  /** The kubeconfig context to use; default: its current context. */
  readonly context?: string;
  readonly userAgent?: string;
  /** For requests other than watches and streams; default 30 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Requests (not watches or streams) in flight at once; more wait their turn, as
   * client-go's rate limiter makes them: a host limits what one client may have in
   * flight (kubevisor: 64 per cluster) and answers 429 past it. Default 32.
   */
  readonly maxInFlight?: number;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size; the answer's `metadata.continue` names the next page. */
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

export interface WriteOptions {
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
  /** Write a subresource (`status`) instead of the object. */
  readonly subresource?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take over fields other managers own. */
  readonly force?: boolean;
}

export interface DeleteOptions {
  /** Delete only if the object still has this uid (not a namesake created since). */
  readonly uid?: string;
  /** Delete only if the object is unchanged since this resourceVersion. */
  readonly resourceVersion?: string;
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

export interface WatchOptions {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly allowWatchBookmarks?: boolean;
  /** The host ends the watch after this long. */
  readonly timeoutSeconds?: number;
  /** Called once the host accepted the watch (200). */
  readonly onOpen?: () => void;
}

/** An open watch. */
export interface HostWatch {
  /**
   * Settles when the watch ends: resolves when the host closed it normally or
   * `stop()` was called; rejects with a HostError when it was refused, the
   * connection broke, or the host sent an ERROR event (410 Expired among them).
   */
  readonly done: Promise<void>;
  stop(): void;
}

export interface StreamRequest {
  readonly query?: Record<string, string | number | boolean | undefined> | URLSearchParams;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

export interface Upgraded {
  /** The 101 answer (its headers hold the negotiated protocol). */
  readonly response: IncomingMessage;
  readonly socket: Duplex;
  /** Bytes that arrived with the answer, before the socket was handed over. */
  readonly head: Buffer;
}

export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

type Query = Record<string, string | number | boolean | undefined>;

interface PreparedRequest {
  readonly url: URL;
  readonly send: (opts: RequestOptions) => ClientRequest;
  readonly options: RequestOptions;
  /** Where the lean client sends it (lean-http.ts), when it may. */
  readonly lean: LeanTarget | undefined;
}

export class HostConnection {
  /** The host API's base URL (with any path prefix, no trailing slash). */
  readonly server: string;
  /** The kubeconfig context in use. */
  readonly context: string;
  private readonly kc: KubeConfig;
  private readonly agent: Agent;
  /** The lean client's kept sockets (JSON requests not through a proxy). */
  private readonly lean = new LeanPool();
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly plurals = new Map<string, Promise<Map<string, string>>>();
  private closed = false;

  /** Load the kubeconfig (and, on first use, the client library) and make a connection. */
  static async connect(source: KubeconfigSource, opts: ConnectOptions = {}): Promise<HostConnection> {
    const { KubeConfig } = await loadClientNode();
    const kc = new KubeConfig();
    try {
      if ('file' in source) kc.loadFromFile(source.file);
      else kc.loadFromString(source.text);
    } catch (e) {
      throw new Error(`cannot load the host kubeconfig${'file' in source ? ` ${source.file}` : ''}: ${(e as Error).message}`, { cause: e });
    }
    if (opts.context !== undefined) {
      if (!kc.getContextObject(opts.context)) throw new Error(`the host kubeconfig has no context "${opts.context}"`);
      kc.setCurrentContext(opts.context);
    }
    const context = kc.getCurrentContext();
    if (!context) throw new Error('the host kubeconfig names no current context; give one');
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new Error(`the host kubeconfig has no cluster server for context "${context}"`);
    return new HostConnection(kc, cluster.server, context, opts);
  }

  private constructor(kc: KubeConfig, server: string, context: string, opts: ConnectOptions) {
    this.kc = kc;
    this.server = server.replace(/\/+$/, '');
    this.context = context;
    this.userAgent = opts.userAgent ?? 'kubevisor-syncer';
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 32);
    // One pool for every request; Node keys its sockets by TLS material, so
    // rotated client certificates get new connections. No socket limit: each
    // open watch holds one, and requests must never queue behind watches.
    // Many virtual clusters share one connection: keep enough idle sockets for all their workers.
    this.agent = new HttpsAgent({ keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 256 });
  }

  // --- paths -----------------------------------------------------------------

  /** The path of a namespaced collection (or, with `name`, object) on the host. */
  async path(resource: HostResource, namespace: string, name?: string, subresource?: string): Promise<string> {
    const plural = await this.plural(resource);
    const [group, version] = splitApiVersion(resource.apiVersion);
    let p = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    // Namespace '': a cluster-scoped kind (or, for lists and watches, every namespace).
    p += namespace === '' ? `/${plural}` : `/namespaces/${encodeURIComponent(namespace)}/${plural}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource !== undefined) p += `/${subresource}`;
    return p;
  }

  /** The path of a pod's streaming subresource, for `stream` or `upgrade`. */
  podStreamPath(namespace: string, pod: string, subresource: PodStreamSubresource): string {
    return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/${subresource}`;
  }

  private async plural(resource: HostResource): Promise<string> {
    if ('plural' in resource) return resource.plural;
    let known = this.plurals.get(resource.apiVersion);
    if (!known) {
      known = this.discover(resource.apiVersion);
      this.plurals.set(resource.apiVersion, known);
      known.catch(() => this.plurals.delete(resource.apiVersion));
    }
    const plural = (await known).get(resource.kind);
    if (!plural) throw new HostError(404, 'NotFound', `the host serves no kind ${resource.kind} in ${resource.apiVersion}`);
    return plural;
  }

  private async discover(apiVersion: string): Promise<Map<string, string>> {
    const [group, version] = splitApiVersion(apiVersion);
    const list = await this.json('GET', group === '' ? `/api/${version}` : `/apis/${group}/${version}`) as { resources?: { name: string; kind: string }[] };
    const out = new Map<string, string>();
    for (const r of list.resources ?? []) if (!r.name.includes('/')) out.set(r.kind, r.name);
    return out;
  }

  // --- objects ---------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, name: string): Promise<T> {
    return await this.json('GET', await this.path(resource, namespace, name)) as T;
  }

  /** One page (or, without `limit`, all) of the objects in `namespace`. */
  async list<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, opts: ListOptions = {}): Promise<KubeList & { items: T[] }> {
    return await this.json('GET', await this.path(resource, namespace), {
      labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit,
      continue: opts.continue, resourceVersion: opts.resourceVersion,
    }) as KubeList & { items: T[] };
  }

  async create<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, obj: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    return await this.json('POST', await this.path(resource, namespace), writeQuery(opts), JSON.stringify(obj)) as T;
  }

  /**
   * Replace the object. Its `metadata.resourceVersion`, when set, is a
   * precondition: the host answers 409 Conflict if the object changed since.
   */
  async update<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, obj: NoInfer<T>, opts: WriteOptions = {}): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw new Error('update needs metadata.name');
    return await this.json('PUT', await this.path(resource, namespace, name, opts.subresource), writeQuery(opts), JSON.stringify(obj)) as T;
  }

  async patch<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    if (type === 'apply' && !opts.fieldManager) throw new Error('a server-side apply needs a fieldManager');
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return await this.json('PATCH', await this.path(resource, namespace, name, opts.subresource),
      { ...writeQuery(opts), force: opts.force }, body, patchContentTypes[type]) as T;
  }

  /**
   * Delete the object. Returns it when it still exists afterwards (graceful
   * deletion or finalizers pending), undefined when it is gone.
   */
  async delete<T extends KubeObject = KubeObject>(resource: HostResource, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T | undefined> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.uid !== undefined || opts.resourceVersion !== undefined) {
      body.preconditions = { uid: opts.uid, resourceVersion: opts.resourceVersion };
    }
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.propagationPolicy !== undefined) body.propagationPolicy = opts.propagationPolicy;
    const out = await this.json('DELETE', await this.path(resource, namespace, name), undefined, JSON.stringify(body));
    return isPlainObject(out) && out.kind !== 'Status' ? out as T : undefined;
  }

  /**
   * The namespace `name`, created if absent, with at least `labels` (added if
   * missing or different; other labels are kept). A namespace being deleted
   * is returned as it is: its `status.phase` says Terminating.
   */
  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<KubeObject> {
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
    for (let attempt = 0; ; attempt++) {
      let ns: KubeObject;
      try {
        ns = await this.json('GET', path) as KubeObject;
      } catch (e) {
        if (!(e instanceof HostError && e.notFound)) throw e;
        try {
          return await this.json('POST', '/api/v1/namespaces', undefined,
            JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } })) as KubeObject;
        } catch (e2) {
          // Someone else created it meanwhile: read it again.
          if (e2 instanceof HostError && e2.alreadyExists && attempt < 3) continue;
          throw e2;
        }
      }
      const have = ns.metadata.labels ?? {};
      const missing = Object.entries(labels).filter(([k, v]) => have[k] !== v);
      if (missing.length === 0) return ns;
      return await this.json('PATCH', path, undefined,
        JSON.stringify({ metadata: { labels: Object.fromEntries(missing) } }), patchContentTypes.merge) as KubeObject;
    }
  }

  // --- watches -----------------------------------------------------------------

  /** Watch the objects of `resource` in `namespace`; `onEvent` sees every event but ERROR (which ends `done`). */
  async watch(resource: HostResource, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<HostWatch> {
    const path = await this.path(resource, namespace);
    const query: Query = {
      watch: 'true', resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector, allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds,
    };
    let stopped = false;
    let req: ClientRequest | undefined;
    let settle: { resolve: () => void; reject: (e: HostError) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    const finish = (err?: HostError) => {
      const s = settle;
      if (!s) return;
      settle = undefined;
      req?.destroy();
      if (err && !stopped) s.reject(err); else s.resolve();
    };
    const stop = () => { stopped = true; finish(); };
    try {
      const prepared = await this.prepare('GET', path, query, { Accept: 'application/json' });
      if (stopped) return { done, stop };
      req = prepared.send(prepared.options);
    } catch (e) {
      finish(toHostError(e));
      return { done, stop };
    }
    req.on('error', (e) => finish(toHostError(e)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        void readBody(res).then((body) => finish(hostErrorFromResponse(res.statusCode ?? 0, body, header(res, 'retry-after'))),
          (e: unknown) => finish(toHostError(e)));
        return;
      }
      opts.onOpen?.();
      res.setEncoding('utf8');
      let buffered = '';
      const line = (text: string) => {
        if (text.trim() === '') return;
        let ev: { type?: string; object?: unknown };
        try {
          ev = JSON.parse(text) as typeof ev;
        } catch {
          finish(new HostError(0, '', `the host sent a watch event that is not JSON: ${text.slice(0, 200)}`));
          return;
        }
        if (ev.type === 'ERROR') {
          finish(hostErrorFromStatus(500, isPlainObject(ev.object) ? ev.object as unknown as Status : undefined, 'the host ended the watch with an error'));
          return;
        }
        if ((ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED' || ev.type === 'BOOKMARK') && isPlainObject(ev.object)) {
          onEvent({ type: ev.type, object: ev.object as KubeObject });
        }
      };
      res.on('data', (chunk: string) => {
        // Events are one per line; a long one comes in many chunks, and only the new chunk
        // can hold its end.
        let nl = chunk.indexOf('\n');
        if (nl < 0) {
          buffered += chunk;
          return;
        }
        let text = buffered + chunk;
        nl += buffered.length;
        let from = 0;
        while (settle && nl >= 0) {
          line(text.slice(from, nl));
          from = nl + 1;
          nl = text.indexOf('\n', from);
        }
        buffered = text.slice(from);
        text = '';
      });
      res.on('end', () => {
        if (settle && buffered !== '') line(buffered);
        finish();
      });
      // A connection that breaks mid-stream: no 'end', an error or an early close.
      res.on('error', (e) => finish(toHostError(e)));
      res.on('close', () => { if (!res.complete) finish(new HostError(0, '', 'the connection to the host broke during the watch')); });
    });
    req.end();
    return { done, stop };
  }

  // --- raw requests and streams -------------------------------------------------

  /**
   * An authenticated request to any host path (`podStreamPath(ns, pod, 'log')`,
   * for one). Resolves with the response once it is 2xx, streaming; rejects
   * with a HostError otherwise. No timeout: destroy the response to end it.
   */
  async stream(method: string, path: string, r: StreamRequest = {}): Promise<IncomingMessage> {
    const prepared = await this.prepare(method, path, r.query, { Accept: '*/*', ...bodyLength(r.body), ...r.headers });
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = prepared.send(prepared.options);
      req.on('error', (e) => reject(toHostError(e)));
      req.on('response', (res) => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) { resolve(res); return; }
        readBody(res).then((body) => reject(hostErrorFromResponse(code, body, header(res, 'retry-after'))), (e: unknown) => reject(toHostError(e)));
      });
      req.end(r.body);
    });
  }

  /**
   * An authenticated request to a host path whose answer is the caller's,
   * whatever its status: pods/proxy and services/proxy pass the backend's
   * answers on. `path` may end with a query string, sent as it is. The
   * request comes back unended: write the body to it, or end it.
   */
  async open(method: string, path: string, headers: Record<string, string | string[]> = {}): Promise<ClientRequest> {
    const prepared = await this.prepare(method, path, undefined, headers);
    return prepared.send(prepared.options);
  }

  /**
   * An authenticated HTTP/1.1 upgrade to a host path (exec, attach,
   * portforward). `r.headers` carry `Upgrade` (`websocket` or `SPDY/3.1`) and
   * the protocol headers (`Sec-WebSocket-Key`, `Sec-WebSocket-Protocol`,
   * `X-Stream-Protocol-Version`, ...); the host's 101 and the raw socket come
   * back for the caller to splice with its own client. Anything but 101 is a
   * HostError.
   */
  async upgrade(path: string, r: StreamRequest = {}): Promise<Upgraded> {
    const prepared = await this.prepare('GET', path, r.query, { Connection: 'Upgrade', ...bodyLength(r.body), ...r.headers });
    // An upgraded socket leaves the pool; keep the pool out of it altogether.
    const options: RequestOptions = { ...prepared.options, agent: false };
    return await new Promise<Upgraded>((resolve, reject) => {
      const req = prepared.send(options);
      req.on('error', (e) => reject(toHostError(e)));
      req.on('upgrade', (response, socket, head) => resolve({ response, socket, head }));
      req.on('response', (res) => {
        readBody(res).then((body) => reject(hostErrorFromResponse(res.statusCode ?? 0, body, header(res, 'retry-after'))), (e: unknown) => reject(toHostError(e)));
      });
      req.end(r.body);
    });
  }

  /** Close pooled connections. Open watches and streams end too. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
    this.lean.close();
  }

  // --- plumbing -----------------------------------------------------------------

  /** Wait for a free request slot (see ConnectOptions.maxInFlight); returns the function that frees it. */
  private async slot(): Promise<() => void> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.inFlight++;
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      // The slot passes straight to the next waiter, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    };
  }

  /** A request answered with JSON; non-2xx answers become HostErrors. A 429 is tried again after its Retry-After, as client-go does. */
  private async json(method: string, path: string, query?: Query, body?: string, contentType = 'application/json'): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const free = await this.slot();
      try {
        return await this.jsonOnce(method, path, query, body, contentType);
      } catch (e) {
        if (!(e instanceof HostError) || e.code !== 429 || attempt >= MAX_429_RETRIES || this.closed) throw e;
        free();
        await sleepMs(Math.min(10_000, Math.max(100, (e.retryAfterSeconds ?? 1) * 1000)));
      } finally {
        free();
      }
    }
  }

  private async jsonOnce(method: string, path: string, query: Query | undefined, body: string | undefined, contentType: string): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      // Node sends a DELETE body neither chunked nor sized unless told its length.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const prepared = await this.prepare(method, path, query, headers);
    if (prepared.lean) return await this.jsonLean(prepared.lean, method, path, prepared.options, body);
    return await new Promise<unknown>((resolve, reject) => {
      const req = prepared.send(prepared.options);
      req.setTimeout(this.requestTimeoutMs, () => {
        req.destroy(new HostError(0, 'Timeout', `the host did not answer ${method} ${path} within ${this.requestTimeoutMs / 1000}s`));
      });
      req.on('error', (e) => reject(toHostError(e)));
      req.on('response', (res) => {
        readBody(res).then((text) => {
          const code = res.statusCode ?? 0;
          if (code < 200 || code >= 300) {
            reject(hostErrorFromResponse(code, text, header(res, 'retry-after')));
            return;
          }
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch {
            reject(new HostError(code, '', `the host answered ${method} ${path} with something that is not JSON`));
          }
        }, (e: unknown) => reject(toHostError(e)));
      });
      req.end(body);
    });
  }

  /** jsonOnce over the lean client (lean-http.ts): the same answers and errors. */
  private async jsonLean(target: LeanTarget, method: string, path: string, o: RequestOptions, body: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    if (o.auth) headers.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    let res: LeanResponse;
    try {
      res = await this.lean.request(target, method, o.path ?? path, headers, body, this.requestTimeoutMs);
    } catch (e) {
      if (e instanceof LeanHttpError && !e.reused && e.answered && e.message.startsWith('no answer')) {
        throw new HostError(0, 'Timeout', `the host did not answer ${method} ${path} within ${this.requestTimeoutMs / 1000}s`);
      }
      // A socket error (refused, reset, TLS) says more than that the connection broke.
      throw toHostError(e instanceof LeanHttpError && e.cause !== undefined ? e.cause : e);
    }
    if (res.status < 200 || res.status >= 300) throw hostErrorFromResponse(res.status, res.body, res.headers.get('retry-after'));
    try {
      return res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      throw new HostError(res.status, '', `the host answered ${method} ${path} with something that is not JSON`);
    }
  }

  /** URL, TLS material and credentials for one request (fresh each time: tokens and exec plugins expire). */
  private contexts = new Map<string, SecureContext>();

  private secureContext(ca: unknown, cert: unknown, key: unknown): SecureContext {
    const text = (v: unknown) => (v === undefined ? '' : Array.isArray(v) ? v.map(String).join('\n') : String(v));
    const id = `${text(ca)}\u0000${text(cert)}\u0000${text(key)}`;
    let ctx = this.contexts.get(id);
    if (!ctx) {
      // Credentials that rotate (exec plugins, refreshed files) make new contexts: keep only a few.
      if (this.contexts.size >= 8) this.contexts.clear();
      ctx = createSecureContext({ ca: ca as string | undefined, cert: cert as string | undefined, key: key as string | undefined });
      this.contexts.set(id, ctx);
    }
    return ctx;
  }

  private cachedCredentials: { at: number; auth: AuthOptions; secureContext: () => SecureContext } | undefined;

  /**
   * The kubeconfig's credentials as request options. Static ones (certificates, tokens, their
   * files) are worked out at most every few seconds: decoding them and finding their TLS context
   * cost more than an idle request's whole trip. Exec plugins and auth providers are asked every time.
   */
  private async credentials(): Promise<{ auth: AuthOptions; secureContext: () => SecureContext }> {
    const now = performance.now();
    const c = this.cachedCredentials;
    if (c && now - c.at < CREDENTIALS_REUSE_MS) return c;
    const auth: AuthOptions = {};
    try {
      await this.kc.applyToHTTPSOptions(auth);
    } catch (e) {
      throw new HostError(0, '', `cannot get credentials for the host: ${(e as Error).message}`, undefined, undefined, e);
    }
    let ctx: SecureContext | undefined;
    const out = { at: now, auth, secureContext: () => (ctx ??= this.secureContext(auth.ca, auth.cert, auth.key)) };
    const user = this.kc.getCurrentUser();
    this.cachedCredentials = user?.exec || user?.authProvider ? undefined : out;
    return out;
  }

  private async prepare(method: string, path: string, query: Query | URLSearchParams | undefined, headers: Record<string, string | string[]>): Promise<PreparedRequest> {
    if (this.closed) throw new HostError(0, '', 'the host connection is closed');
    const url = new URL(this.server + path);
    if (query instanceof URLSearchParams) {
      for (const [k, v] of query) url.searchParams.append(k, v);
    } else if (query) {
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const { auth, secureContext } = await this.credentials();
    const proxied = Boolean(this.kc.getCurrentCluster()?.proxyUrl);
    const options: RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: url.pathname + url.search,
      headers: { 'User-Agent': this.userAgent, ...auth.headers, ...headers },
      agent: proxied ? auth.agent : this.agent,
      ca: auth.ca, cert: auth.cert, key: auth.key,
    };
    // One TLS context per set of credentials, not one per new socket.
    if (url.protocol === 'https:') (options as RequestOptions & { secureContext?: SecureContext }).secureContext = secureContext();
    if (auth.rejectUnauthorized !== undefined) options.rejectUnauthorized = auth.rejectUnauthorized;
    if (auth.servername !== undefined) options.servername = auth.servername;
    if (auth.auth !== undefined) options.auth = auth.auth;
    const send = url.protocol === 'http:'
      ? (o: RequestOptions) => httpRequest({ ...o, agent: proxied ? o.agent : undefined })
      : (o: RequestOptions) => httpsRequest(o);
    // Requests through a proxy keep to node:http (which speaks to it).
    const secure = url.protocol === 'https:';
    const lean: LeanTarget | undefined = proxied || (!secure && url.protocol !== 'http:') ? undefined : {
      tls: secure, hostname: options.hostname as string, port: Number(url.port || (secure ? 443 : 80)),
      secureContext: secure ? (options as { secureContext?: SecureContext }).secureContext : undefined,
      servername: options.servername as string | undefined, rejectUnauthorized: options.rejectUnauthorized,
    };
    return { url, send, options, lean };
  }
}

type AuthOptions = RequestOptions & { headers?: Record<string, string> };

/** How long static credentials are used before the kubeconfig is asked again (rotated files). */
const CREDENTIALS_REUSE_MS = 5000;

function splitApiVersion(apiVersion: string): [group: string, version: string] {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

function writeQuery(opts: WriteOptions): Query {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}

function bodyLength(body: string | Buffer | undefined): Record<string, string> {
  return body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the host closed the connection mid-answer')));
  });
}
