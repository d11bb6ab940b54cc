// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token: an
// authentication.k8s.io/v1 TokenRequest in, the same with status.token and
// status.expirationTimestamp out (201). Follows kube-apiserver's TokenREST:
// the order of its checks decides which error a bad request gets.
import { ApiError, errors, type FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { SigningKey } from './keys.ts';
import {
  DEFAULT_EXPIRATION_SECONDS, EXTENDED_EXPIRATION_SECONDS, MAX_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS,
  WARN_ONLY_EXPIRATION_SECONDS, issueTokenAsync, rfc3339, type BoundObjectKind, type LookupKind, type ObjectRef,
} from './tokens.ts';

const GROUP = 'authentication.k8s.io';
const KIND = 'TokenRequest';
const API_VERSION = `${GROUP}/v1`;

/** Like ObjectLookup, but may wait (e.g. GenericStore.get after catching up with storage). */
export type AsyncObjectLookup = (kind: LookupKind, namespace: string | undefined, name: string) =>
  KubeObject | undefined | Promise<KubeObject | undefined>;

export interface TokenRequestContext {
  lookup: AsyncObjectLookup;
  key: SigningKey | (() => SigningKey | Promise<SigningKey>);
  /** The service account issuer (iss). */
  issuer: string;
  /** API audiences (--api-audiences); a request without audiences gets these. Default [issuer]. */
  apiAudiences?: readonly string[];
  /** Cap on expirationSeconds (--service-account-max-token-expiration); 0 or absent: none. */
  maxExpirationSeconds?: number;
  /**
   * Give pod-bound tokens asked for with 3607 s (the kubelet's kube-api-access
   * volumes) a longer real expiry and a warnafter instead (--service-account-extend-token-expiration,
   * on by default).
   */
  extendExpiration?: boolean;
  /** The real expiry of such extended tokens; default one year. */
  maxExtendedExpirationSeconds?: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

export interface TokenRequestResult {
  /** 201 */
  status: number;
  object: KubeObject;
  /** Texts for Warning headers. */
  warnings: string[];
}

const resources: Record<BoundObjectKind | 'ServiceAccount', string> = {
  ServiceAccount: 'serviceaccounts', Pod: 'pods', Secret: 'secrets', Node: 'nodes',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A decoding error, worded like Go's encoding/json. */
function typeError(path: string, value: unknown, goType: string): ApiError {
  const what = typeof value === 'number' ? `number ${value}` : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  return errors.badRequest(`json: cannot unmarshal ${what} into Go struct field ${path} of type ${goType}`);
}

function optString(obj: Record<string, unknown>, field: string, path: string): string {
  const v = obj[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeError(path, v, 'string');
  return v;
}

interface ParsedRequest {
  metadata: Record<string, unknown>;
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: { kind: string; apiVersion: string; name: string; uid: string };
}

function parseRequest(body: unknown): ParsedRequest {
  if (!isObject(body)) throw errors.badRequest('the body of the request must be a TokenRequest object');
  const metadata = body.metadata === undefined || body.metadata === null ? {} : body.metadata;
  if (!isObject(metadata)) throw typeError('TokenRequest.metadata', metadata, 'v1.ObjectMeta');
  const spec = body.spec === undefined || body.spec === null ? {} : body.spec;
  if (!isObject(spec)) throw typeError('TokenRequest.spec', spec, 'v1.TokenRequestSpec');

  let audiences: string[] = [];
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (!Array.isArray(spec.audiences)) throw typeError('TokenRequestSpec.spec.audiences', spec.audiences, '[]string');
    for (const a of spec.audiences) if (typeof a !== 'string') throw typeError('TokenRequestSpec.spec.audiences', a, 'string');
    audiences = [...spec.audiences] as string[];
  }

  // Defaulting (v1): an absent expirationSeconds is one hour.
  let expirationSeconds = DEFAULT_EXPIRATION_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    const e = spec.expirationSeconds;
    if (typeof e !== 'number' || !Number.isSafeInteger(e)) throw typeError('TokenRequestSpec.spec.expirationSeconds', e, 'int64');
    expirationSeconds = e;
  }

  let boundObjectRef: ParsedRequest['boundObjectRef'];
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null) {
    const r = spec.boundObjectRef;
    if (!isObject(r)) throw typeError('TokenRequestSpec.spec.boundObjectRef', r, 'v1.BoundObjectReference');
    const p = 'TokenRequestSpec.spec.boundObjectRef';
    boundObjectRef = {
      kind: optString(r, 'kind', `${p}.kind`),
      apiVersion: optString(r, 'apiVersion', `${p}.apiVersion`),
      name: optString(r, 'name', `${p}.name`),
      uid: optString(r, 'uid', `${p}.uid`),
    };
  }
  return { metadata: { ...metadata }, audiences, expirationSeconds, boundObjectRef };
}

/** TokenRequest validation (pkg/apis/authentication/validation). */
export function validateTokenRequestSpec(expirationSeconds: number): FieldError[] {
  const errs: FieldError[] = [];
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds, detail: 'may not specify a duration less than 10 minutes' });
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds, detail: 'may not specify a duration larger than 2^32 seconds' });
  }
  return errs;
}

/** Group, version as schema.FromAPIVersionAndKind reads an apiVersion (unparseable: both empty). */
function parseApiVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: '', version: '' };
}

async function getObject(ctx: TokenRequestContext, kind: LookupKind, namespace: string | undefined, name: string): Promise<KubeObject> {
  if (name === '') throw errors.badRequest('Name parameter required.');
  const obj = await ctx.lookup(kind, namespace, name);
  if (!obj) throw errors.notFound({ group: '', resource: resources[kind] }, name);
  return obj;
}

/**
 * Answer a TokenRequest for service account `name` in `namespace`. Throws
 * ApiError: 400 (malformed body, namespace mismatch, unbindable object), 404
 * (service account or bound object missing), 409 (uid mismatch), 422
 * (validation).
 */
export async function handleTokenRequest(ctx: TokenRequestContext, body: unknown, namespace: string, name: string): Promise<TokenRequestResult> {
  if (!namespace) throw errors.badRequest('namespace is required');
  const req = parseRequest(body);
  const warnings: string[] = [];

  // The request handler's check: the body may name no other namespace.
  const bodyNamespace = typeof req.metadata.namespace === 'string' ? req.metadata.namespace : '';
  if (bodyNamespace !== '' && bodyNamespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const bodyName = typeof req.metadata.name === 'string' ? req.metadata.name : '';
  if (bodyName !== '' && bodyName !== name) {
    throw errors.invalid({ group: GROUP, kind: KIND }, name, [
      { type: 'FieldValueInvalid', field: 'metadata.name', value: bodyName, detail: 'must match the service account name if specified' }]);
  }

  const sa = await getObject(ctx, 'ServiceAccount', namespace, name);
  const saUid = sa.metadata.uid ?? '';
  const bodyUid = typeof req.metadata.uid === 'string' ? req.metadata.uid : '';
  if (bodyUid !== '' && bodyUid !== saUid) {
    throw errors.conflict({ group: GROUP, resource: KIND }, name,
      `the UID in the token request (${bodyUid}) does not match the UID of the service account (${saUid})`);
  }

  const apiAudiences = ctx.apiAudiences ? [...ctx.apiAudiences] : [ctx.issuer];
  const audiences = req.audiences.length > 0 ? req.audiences : apiAudiences;

  // The current time, before the token is made, so status.expirationTimestamp <= exp.
  const nowMs = (ctx.now ?? Date.now)();
  const nowSec = Math.floor(nowMs / 1000);

  const invalid = validateTokenRequestSpec(req.expirationSeconds);
  if (invalid.length > 0) throw errors.invalid({ group: GROUP, kind: KIND }, '', invalid);

  let boundObject: { kind: BoundObjectKind; name: string; uid: string } | undefined;
  let node: ObjectRef | undefined;
  const ref = req.boundObjectRef;
  if (ref) {
    const gv = parseApiVersion(ref.apiVersion);
    let uid: string;
    if (gv.group === '' && ref.kind === 'Pod') {
      const pod = await getObject(ctx, 'Pod', namespace, ref.name);
      const podSpec = isObject(pod.spec) ? pod.spec : {};
      if (podSpec.serviceAccountName !== name) {
        throw errors.badRequest(`cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with different serviceaccount name.`);
      }
      uid = pod.metadata.uid ?? '';
      boundObject = { kind: 'Pod', name: ref.name, uid };
      const nodeName = typeof podSpec.nodeName === 'string' ? podSpec.nodeName : '';
      if (nodeName) {
        // A missing Node still leaves its name in the token.
        const n = await ctx.lookup('Node', undefined, nodeName);
        node = n ? { name: nodeName, uid: n.metadata.uid ?? '' } : { name: nodeName };
      }
    } else if (gv.group === '' && ref.kind === 'Node') {
      const n = await getObject(ctx, 'Node', undefined, ref.name);
      uid = n.metadata.uid ?? '';
      boundObject = { kind: 'Node', name: ref.name, uid };
    } else if (gv.group === '' && ref.kind === 'Secret') {
      const secret = await getObject(ctx, 'Secret', namespace, ref.name);
      uid = secret.metadata.uid ?? '';
      boundObject = { kind: 'Secret', name: ref.name, uid };
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${gv.group}/${gv.version}, Kind=${ref.kind}`);
    }
    if (ref.uid !== '' && uid !== ref.uid) {
      throw errors.conflict({ group: gv.group, resource: ref.kind }, ref.name,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }

  let expirationSeconds = req.expirationSeconds;
  const max = ctx.maxExpirationSeconds ?? 0;
  if (max > 0 && expirationSeconds > max) {
    warnings.push(`requested expiration of ${expirationSeconds} seconds shortened to ${max} seconds`);
    expirationSeconds = max;
  }

  // The kubelet's 3607-second pod tokens for the API server live longer and only warn after 3607 s.
  let tokenLifetime = expirationSeconds;
  let warnAfterSeconds: number | undefined;
  if ((ctx.extendExpiration ?? true) && boundObject?.kind === 'Pod' && expirationSeconds === WARN_ONLY_EXPIRATION_SECONDS &&
      audiences.every((a) => apiAudiences.includes(a))) {
    warnAfterSeconds = expirationSeconds;
    tokenLifetime = ctx.maxExtendedExpirationSeconds ?? EXTENDED_EXPIRATION_SECONDS;
  }

  const key = typeof ctx.key === 'function' ? await ctx.key() : ctx.key;
  let issued;
  try {
    issued = await issueTokenAsync({
      key, issuer: ctx.issuer, audiences, expirationSeconds: tokenLifetime, namespace,
      serviceAccount: { name, uid: saUid }, boundObject, node, warnAfterSeconds, now: nowSec * 1000,
    });
  } catch (err) {
    throw errors.internal(`failed to generate token: ${(err as Error).message}`);
  }

  const { name: _n, namespace: _ns, uid: _u, creationTimestamp: _c, ...restMeta } = req.metadata;
  const metadata: Record<string, unknown> = {
    name,
    ...(typeof restMeta.generateName === 'string' ? { generateName: restMeta.generateName } : {}),
    namespace,
    uid: saUid,
    creationTimestamp: rfc3339(nowSec),
  };
  delete restMeta.generateName;
  Object.assign(metadata, restMeta);

  const spec: Record<string, unknown> = { audiences, expirationSeconds };
  if (ref) {
    const out: Record<string, string> = {};
    if (ref.kind) out.kind = ref.kind;
    if (ref.apiVersion) out.apiVersion = ref.apiVersion;
    if (ref.name) out.name = ref.name;
    if (ref.uid) out.uid = ref.uid;
    spec.boundObjectRef = out;
  }
  const object: KubeObject = {
    kind: KIND,
    apiVersion: API_VERSION,
    metadata: metadata as KubeObject['metadata'],
    spec,
    status: { token: issued.token, expirationTimestamp: rfc3339(nowSec + expirationSeconds) },
  };
  return { status: 201, object, warnings };
}
