// Admission of connect requests, as upstream's connect handler runs it: exec,
// attach, port-forward and proxy (pods, services, nodes) pass the cluster's
// admission as operation CONNECT before anything connects, their object the
// request's options read from the query (PodExecOptions, PodAttachOptions,
// PodPortForwardOptions; PodProxyOptions, ServiceProxyOptions,
// NodeProxyOptions with the path below `proxy`), with no old object, no
// options (null) and no dry run: a request naming `dryRun` is refused (400
// `dryRun is not supported`). Mutating webhooks are called too; what their
// patches leave is what the connection goes on with (the exec's command, the
// proxied path ...). Logs (`pods/log`) are a read, not a connect.
//
// The object has no metadata: an objectSelector never selects it, and a
// policy or webhook sees the pod only by the request's namespace and name.

import type { IncomingMessage } from 'node:http';
import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionRequest } from '../../registry/generic/admission.ts';
import type { ResourceDef, UserInfo } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import type { ResourceRequest } from '../request-info.ts';

type FieldType = 'bool' | 'string' | 'strings' | 'ports';

/** The fields of each options kind, in their Go types' order (json names). */
const FIELDS: Record<string, ReadonlyArray<readonly [string, FieldType]>> = {
  PodExecOptions: [['stdin', 'bool'], ['stdout', 'bool'], ['stderr', 'bool'], ['tty', 'bool'], ['container', 'string'], ['command', 'strings']],
  PodAttachOptions: [['stdin', 'bool'], ['stdout', 'bool'], ['stderr', 'bool'], ['tty', 'bool'], ['container', 'string']],
  PodPortForwardOptions: [['ports', 'ports']],
  PodProxyOptions: [['path', 'string']],
  ServiceProxyOptions: [['path', 'string']],
  NodeProxyOptions: [['path', 'string']],
};

/** The connecters of core/v1 and the kind of their options. */
const CONNECTERS: Readonly<Record<string, string>> = {
  'pods/exec': 'PodExecOptions', 'pods/attach': 'PodAttachOptions', 'pods/portforward': 'PodPortForwardOptions',
  'pods/proxy': 'PodProxyOptions', 'services/proxy': 'ServiceProxyOptions', 'nodes/proxy': 'NodeProxyOptions',
};

/** The kind of a connect subresource's options; undefined when the subresource is not a connect one. */
export function connectKind(def: Pick<ResourceDef, 'group' | 'version' | 'plural'>, subresource: string | undefined): string | undefined {
  if (subresource === undefined || def.group !== '' || def.version !== 'v1') return undefined;
  return CONNECTERS[`${def.plural}/${subresource}`];
}

/** A query parameter as upstream reads a bool: absent, `0` or `false` (any case) is false; anything else true. */
function queryBool(values: string[]): boolean {
  const v = values[0];
  return v !== undefined && v !== '0' && v.toLowerCase() !== 'false';
}

/** Go's strconv.ParseUint(v, 10, 16). */
function parsePort(v: string): number {
  if (!/^\d+$/.test(v)) throw errors.badRequest(`cannot convert to []int32: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (n > 65535) throw errors.badRequest(`cannot convert to []int32: strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

/**
 * The options object of a connect request from its query (and, for proxy,
 * the path below `proxy`), as upstream decodes the parameters; a 400 for
 * ports that are not numbers. Fields at their zero value are left out, as
 * the API encodes them; an exec's `command` is always there (null when none).
 */
export function connectOptions(kind: string, query: URLSearchParams, subpath = ''): KubeObject {
  const fields = FIELDS[kind];
  if (!fields) throw new Error(`not an options kind: ${kind}`);
  const out: Record<string, unknown> = { kind, apiVersion: 'v1' };
  for (const [name, type] of fields) {
    if (type === 'bool') {
      if (queryBool(query.getAll(name))) out[name] = true;
    } else if (type === 'string') {
      const v = name === 'path' ? subpath : query.get(name) ?? '';
      if (v !== '') out[name] = v;
    } else if (type === 'strings') {
      const vs = query.getAll(name);
      out[name] = vs.length > 0 ? vs : null;
    } else {
      const ports = query.getAll(name).flatMap((v) => v.split(',').map(parsePort));
      if (ports.length > 0) out[name] = ports;
    }
  }
  return out as unknown as KubeObject;
}

/** The path below `proxy` as upstream's options show it: `/a/b`, `/` for a trailing slash alone, '' for none. */
export function proxySubpath(rest: readonly string[], pathEndsWithSlash: boolean): string {
  let p = rest.join('/');
  if (p !== '' && !p.startsWith('/')) p = '/' + p;
  if (pathEndsWithSlash && !p.endsWith('/')) p += '/';
  return p;
}

function jsonType(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * A patched options object read back as its kind reads JSON: unknown fields
 * dropped, null as the zero value, a value of the wrong type a 500 worded
 * as Go's decoder words it (upstream decodes the patched JSON into the
 * options type).
 */
export function readConnectOptions(kind: string, json: Record<string, unknown>): KubeObject {
  const fields = FIELDS[kind];
  if (!fields) throw new Error(`not an options kind: ${kind}`);
  const wrong = (v: unknown, field: string, type: string, number = false): never => {
    throw errors.internal(`json: cannot unmarshal ${jsonType(v)}${number ? ` ${String(v)}` : ''} into Go struct field ${kind}.${field} of type ${type}`);
  };
  const out: Record<string, unknown> = { kind, apiVersion: 'v1' };
  for (const [name, type] of fields) {
    const v = json[name];
    if (type === 'strings') {
      if (v === undefined || v === null) { out[name] = null; continue; }
      if (!Array.isArray(v)) wrong(v, name, '[]string');
      out[name] = (v as unknown[]).map((s) => (s === null ? '' : typeof s === 'string' ? s : wrong(s, name, 'string')));
      continue;
    }
    if (v === undefined || v === null) continue;
    if (type === 'bool') {
      if (typeof v !== 'boolean') wrong(v, name, 'bool');
      if (v === true) out[name] = true;
    } else if (type === 'string') {
      if (typeof v !== 'string') wrong(v, name, 'string');
      if (v !== '') out[name] = v;
    } else {
      if (!Array.isArray(v)) wrong(v, name, '[]int32');
      const ports = (v as unknown[]).map((p) => {
        if (p === null) return 0;
        if (typeof p !== 'number') return wrong(p, name, 'int32');
        if (!Number.isInteger(p) || p < -2147483648 || p > 2147483647) return wrong(p, name, 'int32', true);
        return p;
      });
      if (ports.length > 0) out[name] = ports;
    }
  }
  return out as unknown as KubeObject;
}

/** The query an exec, attach or port-forward goes on with, from its (mutated) options. */
function optionsQuery(obj: Record<string, unknown>): URLSearchParams {
  const q = new URLSearchParams();
  if (typeof obj.container === 'string') q.append('container', obj.container);
  if (Array.isArray(obj.command)) for (const c of obj.command) q.append('command', String(c));
  for (const b of ['stdin', 'stdout', 'stderr', 'tty']) if (obj[b] === true) q.append(b, 'true');
  if (Array.isArray(obj.ports)) for (const p of obj.ports) q.append('ports', String(p));
  return q;
}

/**
 * The request URL a connect request goes on with once a mutating webhook
 * changed its options: the options as the query of an exec, attach or
 * port-forward; the path below `proxy` of a proxy request (its query kept).
 */
export function connectUrl(rawUrl: string, kind: string, obj: KubeObject, resource: string, name: string): string {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const opts = obj as unknown as Record<string, unknown>;
  if (!kind.endsWith('ProxyOptions')) {
    const query = optionsQuery(opts).toString();
    return query === '' ? rawPath : `${rawPath}?${query}`;
  }
  const segs = rawPath.split('/');
  const dec = (s: string | undefined) => { try { return decodeURIComponent(s ?? ''); } catch { return s; } };
  const at = segs.findIndex((s, i) => i >= 2 && dec(s) === 'proxy' && dec(segs[i - 1]) === name && dec(segs[i - 2]) === resource);
  if (at < 0) return rawUrl;
  const path = typeof opts.path === 'string' ? opts.path.split('/').map(encodeURIComponent).join('/') : '';
  return segs.slice(0, at + 1).join('/') + path + (q < 0 ? '' : rawUrl.slice(q));
}

/** A connect request as the server has it, after authentication and authorization. */
export interface ConnectRequest {
  readonly def: ResourceDef;
  readonly info: ResourceRequest;
  /** The HTTP request: its query read, its URL rewritten when a mutating webhook changed the options. */
  readonly req: IncomingMessage;
  readonly user: UserInfo;
  /** Where admission warnings go (a response's Warning headers); dropped when unset. */
  readonly warn?: (text: string) => void;
}

/**
 * Run the cluster's admission for a connect request (a no-op for any other):
 * the mutating phase, then the validating one, as upstream does before it
 * connects. Throws the refusal (an ApiError the client gets as its Status).
 * A change a mutating webhook made rewrites `req.url`.
 */
export async function admitConnect(vc: VirtualCluster, r: ConnectRequest): Promise<void> {
  const { def, info, req } = r;
  const kind = connectKind(def, info.subresource);
  if (kind === undefined || info.name === undefined) return;
  const url = new URL(req.url ?? '/', 'https://localhost');
  if (url.searchParams.has('dryRun')) throw errors.badRequest('dryRun is not supported');
  const object = connectOptions(kind, url.searchParams, kind.endsWith('ProxyOptions') ? proxySubpath(info.rest, url.pathname.endsWith('/')) : '');
  if (!vc.store.admission.some((p) => p.mutate !== undefined || p.validate !== undefined)) return;
  const request: AdmissionRequest = {
    operation: 'CONNECT', def, kind: { group: '', version: 'v1', kind },
    namespace: def.scope === 'Namespaced' ? info.namespace : undefined, name: info.name, subresource: info.subresource,
    object, oldObject: undefined, user: r.user, dryRun: false, options: null, warn: r.warn ?? (() => {}),
  };
  if (await vc.store.admitOperation(request)) req.url = connectUrl(req.url ?? '/', kind, object, info.resource, info.name);
}
