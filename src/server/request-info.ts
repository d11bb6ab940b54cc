// Turns a request path and method into what it asks for, in the manner of
// kube-apiserver's RequestInfo: a resource request (group, version, namespace,
// resource, name, subresource, verb) or a non-resource request (/version, /healthz).

export interface ResourceRequest {
  readonly kind: 'resource';
  readonly verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  readonly group: string;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly resource: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** Path segments below the subresource (the path a proxy request names, as its connect options show it). */
  readonly rest: string[];
}

export interface NonResourceRequest {
  readonly kind: 'nonresource';
  readonly verb: string;
  readonly path: string;
}

/** /api, /apis, /api/v1, /apis/<group>, /apis/<group>/<version>: discovery documents. */
export interface DiscoveryRequest {
  readonly kind: 'discovery';
  readonly verb: 'get';
  readonly prefix: 'api' | 'apis';
  readonly group: string | undefined;
  readonly version: string | undefined;
}

export type RequestInfo = ResourceRequest | NonResourceRequest | DiscoveryRequest;

const methodVerbs: Record<string, string> = {
  POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', HEAD: 'get', DELETE: 'delete',
};

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  const httpVerb = methodVerbs[method] ?? method.toLowerCase();
  if (parts[0] !== 'api' && parts[0] !== 'apis') return { kind: 'nonresource', verb: httpVerb, path };
  const prefix = parts[0];
  let i = 1;
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 2) return { kind: 'discovery', verb: 'get', prefix, group: undefined, version: undefined };
    group = parts[1];
    i = 2;
    if (parts.length === 2) return { kind: 'discovery', verb: 'get', prefix, group, version: undefined };
  } else if (parts.length === 1) {
    return { kind: 'discovery', verb: 'get', prefix, group: undefined, version: undefined };
  }
  const version = parts[i++];
  if (i === parts.length) return { kind: 'discovery', verb: 'get', prefix, group, version };

  let rest = parts.slice(i);
  let watchPath = false;
  if (rest[0] === 'watch') { watchPath = true; rest = rest.slice(1); }
  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>... addresses objects in a namespace, except the
  // namespace's own subresources (/namespaces/<name>/status|finalize).
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1];
    if (rest.length > 2 && !namespaceSubresources.has(rest[2])) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1];
  const subresource = rest[2];
  let verb: ResourceRequest['verb'];
  switch (httpVerb) {
    case 'get':
      verb = name === undefined ? (watchPath || isTrue(query.get('watch')) ? 'watch' : 'list') : (watchPath ? 'watch' : 'get');
      break;
    case 'delete':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    case 'create': case 'update': case 'patch':
      verb = httpVerb;
      break;
    default:
      verb = 'get';
  }
  if (resource === 'namespaces') namespace = undefined;
  return { kind: 'resource', verb, group, version, namespace, resource, name, subresource, rest: rest.slice(3) };
}

const namespaceSubresources = new Set(['status', 'finalize']);

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}
