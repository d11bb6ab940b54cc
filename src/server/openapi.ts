// HTTP handling of /openapi/v2 and /openapi/v3, as kube-apiserver answers them:
//
//   GET /openapi/v3                 {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}
//   GET /openapi/v3/<doc>?hash=H    the document; when H is its current hash the reply is
//                                   immutable (Cache-Control: public, immutable; Expires in a year);
//                                   when H is stale, a 301 to the current URL; without H, no-cache.
//   GET /openapi/v2                 swagger 2.0, JSON or gnostic protobuf by Accept (406 otherwise)
//
// Every reply carries a quoted ETag and a matching If-None-Match gets 304.
// The documents (src/api/openapi) are loaded on the first OpenAPI request, so
// that importing this module costs nothing at start-up.

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { V3Document } from '../api/openapi/v3.ts';
import { errors } from '../api/errors.ts';
import { writeError } from './http/respond.ts';

type V3Module = typeof import('../api/openapi/v3.ts');
type V2Module = typeof import('../api/openapi/v2.ts');
type CRDModule = typeof import('../api/openapi/crd.ts');
type Encoded<T> = import('../api/openapi/v2.ts').Encoded<T>;

export interface ServeOpenAPIOptions {
  /** v3 documents beyond the built-in ones (e.g. of custom resources), by document path ("apis/example.com/v1"). */
  extraV3?: ReadonlyMap<string, V3Document>;
  /**
   * CustomResourceDefinition objects. The served versions of the Established ones
   * are published as kube-apiserver does: one /openapi/v3/apis/<group>/<version>
   * document per group/version (listed in the root whether or not `served` names
   * it; `extraV3` wins a path) and their paths and definitions in /openapi/v2.
   * Documents are rebuilt only when a CRD changes (uid/resourceVersion).
   */
  crds?: readonly object[];
}

const MEDIA_JSON = 'application/json';
const MEDIA_V2_PB = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const MEDIA_V2_PB_DEPRECATED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const NO_CACHE = 'no-cache, private';

/** A module imported on first use: `get()` once loaded, `load()` to wait for it. */
class Lazy<T> {
  private promise: Promise<T> | undefined;
  value: T | undefined;
  private readonly importer: () => Promise<T>;
  constructor(importer: () => Promise<T>) {
    this.importer = importer;
  }
  load(): Promise<T> {
    this.promise ??= this.importer().then((m) => (this.value = m));
    return this.promise;
  }
}

const v3 = new Lazy<V3Module>(() => import('../api/openapi/v3.ts'));
const v2 = new Lazy<V2Module>(() => import('../api/openapi/v2.ts'));
const crdOpenAPI = new Lazy<CRDModule>(() => import('../api/openapi/crd.ts'));

/**
 * Load the OpenAPI modules and build the documents of `served` ahead of the
 * first request (optional: call after start-up, when the server is idle).
 */
export async function warmOpenAPI(served: readonly string[], withV2 = true): Promise<void> {
  (await v3.load()).openapiV3Root(served);
  if (withV2) (await v2.load()).openapiV2Protobuf(served);
}

/**
 * Serve `path` if it is an OpenAPI path (/openapi/v2, /openapi/v3[/...]);
 * returns false, having written nothing, for any other path.
 * `served` lists the group/versions the server serves ("v1", "apps/v1", ...).
 * The reply may be written after this returns (on the first request the
 * documents' module is still being imported).
 */
export function serveOpenAPI(path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse,
  served: string[], options: ServeOpenAPIOptions = {}): boolean {
  if (path !== '/openapi' && !path.startsWith('/openapi/')) return false;
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const method = req.method ?? 'GET';
  try {
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(method, clean);
    const crds = options.crds !== undefined && options.crds.length > 0 ? options.crds : undefined;
    if (clean === '/openapi/v2') {
      if (crds) {
        withModule(crdOpenAPI, res, (c) => {
          const doc = c.openapiV2WithCRDs(served, crds);
          serveV2(req, res, () => doc.json(), () => doc.protobuf());
        });
      } else {
        withModule(v2, res, (m) => serveV2(req, res, () => m.openapiV2Json(served), () => m.openapiV2Protobuf(served)));
      }
    } else if (clean === '/openapi/v3' || clean.startsWith('/openapi/v3/')) {
      if (crds) {
        withModule(crdOpenAPI, res, (c) => {
          const docs = c.crdDocumentsFor(crds);
          const servedWithCRDs = docs.size > 0 ? [...served, ...docs.keys()] : served;
          const extraV3 = withExtra(options.extraV3, docs);
          withModule(v3, res, (m) => serveV3(m, clean, query, req, res, servedWithCRDs, { ...options, extraV3 }));
        });
      } else {
        withModule(v3, res, (m) => serveV3(m, clean, query, req, res, served, options));
      }
    } else {
      throw errors.pathNotFound();
    }
  } catch (err) {
    writeError(res, err);
  }
  return true;
}

function withModule<T>(lazy: Lazy<T>, res: ServerResponse, run: (m: T) => void): void {
  const guarded = (m: T): void => {
    try {
      run(m);
    } catch (err) {
      writeError(res, err);
    }
  };
  if (lazy.value !== undefined) guarded(lazy.value);
  else lazy.load().then(guarded, (err: unknown) => writeError(res, err));
}

let lastExtra: { extra: ReadonlyMap<string, V3Document>; crd: ReadonlyMap<string, V3Document>; merged: ReadonlyMap<string, V3Document> } | undefined;

/** The CRD documents and the explicit extra documents together (an explicit one wins a path); memoized on identity. */
function withExtra(extra: ReadonlyMap<string, V3Document> | undefined, crd: ReadonlyMap<string, V3Document>): ReadonlyMap<string, V3Document> {
  if (!extra || extra.size === 0) return crd;
  if (crd.size === 0) return extra;
  if (lastExtra?.extra === extra && lastExtra.crd === crd) return lastExtra.merged;
  const merged = new Map([...crd, ...extra]);
  lastExtra = { extra, crd, merged };
  return merged;
}

function serveV2(req: IncomingMessage, res: ServerResponse, json: () => Encoded<Buffer>, protobuf: () => Encoded<Uint8Array>): void {
  const choice = negotiateV2(req.headers.accept || '*/*');
  if (!choice) throw errors.notAcceptable([MEDIA_JSON, MEDIA_V2_PB]);
  const doc = choice === 'json' ? json() : protobuf();
  send(req, res, doc.body, doc.etag, {
    'Content-Type': choice === 'json' ? MEDIA_JSON : MEDIA_V2_PB,
    'Cache-Control': NO_CACHE,
    Vary: 'Accept',
  });
}

function serveV3(m: V3Module, path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse,
  served: readonly string[], options: ServeOpenAPIOptions): void {
  const root = m.openapiV3Root(served, options.extraV3);
  if (path === '/openapi/v3') {
    const body = Buffer.from(JSON.stringify(root));
    return send(req, res, body, `"${m.contentHash(body)}"`, { 'Content-Type': MEDIA_JSON, 'Cache-Control': NO_CACHE });
  }
  const docPath = path.slice('/openapi/v3/'.length);
  // Only what the root lists is reachable: the documents of served group/versions.
  const doc = root.paths[docPath] !== undefined ? m.openapiV3Document(docPath, options.extraV3) : undefined;
  if (!doc) throw errors.pathNotFound();
  if (!acceptsJSON(req.headers.accept || '*/*')) throw errors.notAcceptable([MEDIA_JSON]);
  const headers: Record<string, string> = { 'Content-Type': MEDIA_JSON, Vary: 'Accept' };
  const hash = query.get('hash');
  if (hash) {
    if (hash !== doc.hash) {
      const location = m.serverRelativeURL(docPath, doc.hash);
      res.writeHead(301, { Location: location, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': NO_CACHE });
      res.end(req.method === 'HEAD' ? undefined : `<a href="${location}">Moved Permanently</a>.\n`);
      return;
    }
    headers['Cache-Control'] = 'public, immutable';
    headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  } else {
    headers['Cache-Control'] = NO_CACHE;
  }
  send(req, res, doc.body, `"${doc.hash}"`, headers);
}

function send(req: IncomingMessage, res: ServerResponse, body: Uint8Array, etag: string, headers: Record<string, string>): void {
  if (etagMatches(req.headers['if-none-match'], etag)) {
    const h: Record<string, string> = { ETag: etag };
    for (const k of ['Cache-Control', 'Expires', 'Vary']) if (headers[k] !== undefined) h[k] = headers[k]!;
    res.writeHead(304, h);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, ETag: etag, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === '*') return true;
    if ((t.startsWith('W/') ? t.slice(2) : t) === etag) return true;
  }
  return false;
}

interface Clause { type: string; subtype: string; q: number; order: number }

/** Accept clauses, best first (by q, then by specificity, then as written), like goautoneg. */
function parseAccept(header: string): Clause[] {
  const out: Clause[] = [];
  header.split(',').forEach((part, order) => {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    if (!range) return;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim());
      if (k === 'q' && v !== undefined) q = Number.parseFloat(v);
    }
    if (!(q > 0)) return;
    const slash = range.indexOf('/');
    const type = slash < 0 ? range : range.slice(0, slash);
    const subtype = slash < 0 ? '*' : range.slice(slash + 1);
    out.push({ type: type.toLowerCase(), subtype: subtype.toLowerCase(), q, order });
  });
  const specificity = (c: Clause): number => (c.type === '*' ? 0 : c.subtype === '*' ? 1 : 2);
  return out.sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.order - b.order);
}

function matches(c: Clause, media: string): boolean {
  const [type, subtype] = media.split('/') as [string, string];
  return (c.type === '*' || c.type === type) && (c.subtype === '*' || c.subtype === subtype);
}

function negotiateV2(accept: string): 'json' | 'protobuf' | undefined {
  for (const c of parseAccept(accept)) {
    if (matches(c, MEDIA_JSON)) return 'json';
    if (matches(c, MEDIA_V2_PB_DEPRECATED) || matches(c, MEDIA_V2_PB)) return 'protobuf';
  }
  return undefined;
}

function acceptsJSON(accept: string): boolean {
  return parseAccept(accept).some((c) => matches(c, MEDIA_JSON));
}
