// Resources that are answered, not stored: SelfSubjectReview, TokenReview and
// the four access reviews. Each echoes its spec with a computed status.

import { errors } from '../../api/errors.ts';
import { isPlainObject, type KubeObject } from '../../api/types.ts';
import type { ResourceAttributes, UserInfo } from '../../registry/types.ts';
import { readBody } from '../http/body.ts';
import { objectBodyFormat, type Negotiated } from '../http/negotiate.ts';
import { writeObject } from '../http/respond.ts';
import { decodeObject } from './decode.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';
import type { ResourceContext } from './resource.ts';

type Spec = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function attributesOf(spec: Spec, namespaceOverride?: string): ResourceAttributes {
  const ra = spec.resourceAttributes, nra = spec.nonResourceAttributes;
  if (isPlainObject(ra)) {
    return {
      verb: str(ra.verb) ?? '', group: str(ra.group) ?? '', version: str(ra.version), resource: str(ra.resource) ?? '',
      subresource: str(ra.subresource) || undefined, namespace: namespaceOverride ?? (str(ra.namespace) || undefined), name: str(ra.name) || undefined,
    };
  }
  if (isPlainObject(nra)) return { verb: str(nra.verb) ?? '', path: str(nra.path) ?? '' };
  throw errors.invalid({ group: 'authorization.k8s.io', kind: 'SubjectAccessReview' }, '', [
    { type: 'FieldValueRequired', field: 'spec.resourceAttributes', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
}

function userFromSpec(spec: Spec): UserInfo {
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  const user: UserInfo = { username: str(spec.user) ?? '', groups, uid: str(spec.uid) };
  if (!user.username && groups.length === 0) {
    throw errors.invalid({ group: 'authorization.k8s.io', kind: 'SubjectAccessReview' }, '', [
      { type: 'FieldValueInvalid', field: 'spec.user', value: '', detail: 'at least one of user or group must be specified' }]);
  }
  return user;
}

function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out.uid = u.uid;
  out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length > 0) out.extra = u.extra;
  return out;
}

export async function serveVirtual(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { def, info } = ctx;
  // One the cluster answers itself, by "<group>/<resource>" (the legacy bindings: server/pod-binding.ts).
  const own = ctx.cluster.subresources.get(`${def.group}/${def.plural}`);
  if (own) return own(ctx, neg);
  const format = objectBodyFormat(ctx.req.headers['content-type']);
  if (format !== 'json' && format !== 'yaml' && format !== 'protobuf') {
    throw errors.unsupportedMediaType(String(ctx.req.headers['content-type'] ?? ''), ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  if (format === 'yaml') await loadYaml();
  const { obj } = decodeObject(def, info.namespace, await readBody(ctx.req), format, 'Ignore');
  const spec: Spec = isPlainObject(obj.spec) ? obj.spec : {};
  const out: KubeObject = { kind: def.kind, apiVersion: def.group ? `${def.group}/${def.version}` : def.version, metadata: { ...obj.metadata } };
  switch (def.plural) {
    case 'selfsubjectreviews':
      out.status = { userInfo: userInfoJson(ctx.user) };
      break;
    case 'tokenreviews': {
      const token = str(spec.token);
      if (!token) throw errors.invalid({ group: def.group, kind: def.kind }, '', [{ type: 'FieldValueRequired', field: 'spec.token', detail: 'token must be specified' }]);
      const user = ctx.tokens.map((t) => t.authenticateToken(token)).find((u) => u !== undefined);
      out.spec = spec;
      out.status = user ? { authenticated: true, user: userInfoJson(user), audiences: Array.isArray(spec.audiences) ? spec.audiences : [] } : { user: {} };
      break;
    }
    case 'selfsubjectaccessreviews': {
      const d = await ctx.authorizer.authorize(ctx.user, attributesOf(spec));
      out.spec = spec;
      out.status = d.allowed ? { allowed: true, reason: d.reason } : { allowed: false, reason: d.reason };
      break;
    }
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const ns = def.plural === 'localsubjectaccessreviews' ? info.namespace : undefined;
      const ra = spec.resourceAttributes;
      if (ns !== undefined && isPlainObject(ra) && ra.namespace !== undefined && ra.namespace !== ns) {
        throw errors.badRequest(`spec.resourceAttributes.namespace must match namespace: ${ns}`);
      }
      const d = await ctx.authorizer.authorize(userFromSpec(spec), attributesOf(spec, ns));
      out.spec = spec;
      out.status = d.allowed ? { allowed: true, reason: d.reason } : { allowed: false, reason: d.reason };
      break;
    }
    case 'selfsubjectrulesreviews': {
      out.spec = spec;
      out.status = ctx.authorizer.rulesFor
        ? await ctx.authorizer.rulesFor(ctx.user, str(spec.namespace) ?? '')
        : { resourceRules: [], nonResourceRules: [], incomplete: true };
      break;
    }
    default:
      throw errors.methodNotAllowed('POST', def.plural);
  }
  writeObject(ctx.res, 201, out, neg.encoding);
}
