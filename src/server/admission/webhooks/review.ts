// The AdmissionReview a webhook is sent and what its answer must be, as
// upstream builds and checks them (admission/plugin/webhook/request):
//
// - The version is the first of the webhook's admissionReviewVersions that is
//   known (v1, v1beta1); none: the call fails ("could not create admission
//   objects").
// - request: uid (new per call), kind/resource (the version the webhook is
//   sent, an equivalent one under matchPolicy Equivalent), subResource,
//   requestKind/requestResource/requestSubResource (what the client wrote),
//   name, namespace, operation, userInfo, object (null on DELETE), oldObject
//   (null on CREATE), dryRun, options (CreateOptions, UpdateOptions or
//   DeleteOptions; null on CONNECT, whose kind is its options' own:
//   PodExecOptions ...).
// - A v1 answer must be an admission.k8s.io/v1 AdmissionReview with a
//   response whose uid is the request's; a mutating webhook's patch needs a
//   patchType and the other way round; a validating webhook may return
//   neither. A v1beta1 answer is taken as it comes (a patch is a JSONPatch).

import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../../api/types.ts';
import type { ResourceDef, UserInfo } from '../../../registry/types.ts';
import type { Attributes } from './rules.ts';

/** Who the server's own writes (controllers, the simulated kubelet) are made by, for webhooks. */
export const SERVER_USER: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:authenticated'] };

export type ReviewVersion = 'v1' | 'v1beta1';

/** The AdmissionReview version to send, or undefined when the webhook accepts none that is known. */
export function reviewVersion(accepted: readonly string[]): ReviewVersion | undefined {
  for (const v of accepted) if (v === 'v1' || v === 'v1beta1') return v;
  return undefined;
}

export interface ReviewInput {
  readonly attributes: Attributes;
  /** The version the webhook is sent (kind and resource), and the objects in it. */
  readonly def: ResourceDef;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly user: UserInfo | undefined;
  readonly dryRun: boolean;
  readonly options: Record<string, unknown> | null;
}

function userInfo(u: UserInfo | undefined): Record<string, unknown> {
  const user = u ?? SERVER_USER;
  const out: Record<string, unknown> = {};
  if (user.username) out.username = user.username;
  if (user.uid) out.uid = user.uid;
  if (user.groups.length > 0) out.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length > 0) out.extra = user.extra;
  return out;
}

/** The `request` of an AdmissionReview (also what matchConditions read as `request`). */
export function admissionRequest(uid: string, r: ReviewInput): Record<string, unknown> {
  const a = r.attributes;
  const req: Record<string, unknown> = {
    uid,
    kind: a.kind && r.def === a.def ? { ...a.kind } : { group: r.def.group, version: r.def.version, kind: r.def.kind },
    resource: { group: r.def.group, version: r.def.version, resource: r.def.plural },
  };
  if (a.subresource !== '') req.subResource = a.subresource;
  req.requestKind = a.kind ? { ...a.kind } : { group: a.def.group, version: a.def.version, kind: a.def.kind };
  req.requestResource = { group: a.def.group, version: a.def.version, resource: a.def.plural };
  if (a.subresource !== '') req.requestSubResource = a.subresource;
  if (a.name !== '') req.name = a.name;
  if (a.namespace !== '') req.namespace = a.namespace;
  req.operation = a.operation;
  req.userInfo = userInfo(r.user);
  req.object = r.object ?? null;
  req.oldObject = r.oldObject ?? null;
  req.dryRun = r.dryRun;
  req.options = r.options;
  return req;
}

/**
 * The `request` as CEL expressions read it (matchConditions, policies): a typed
 * AdmissionRequest upstream, whose unset strings, lists and maps read as
 * empty rather than missing (`request.subResource == ''` on the object itself).
 */
export function celRequest(request: Record<string, unknown>): Record<string, unknown> {
  const user = (request.userInfo ?? {}) as Record<string, unknown>;
  return {
    uid: '', subResource: '', requestSubResource: '', name: '', namespace: '', ...request,
    userInfo: { username: '', uid: '', groups: [], extra: {}, ...user },
  };
}

/** A whole AdmissionReview to send. */
export function admissionReview(version: ReviewVersion, r: ReviewInput): { uid: string; review: Record<string, unknown> } {
  const uid = randomUUID();
  return { uid, review: { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request: admissionRequest(uid, r) } };
}

/** A webhook's answer, checked. */
export interface AdmissionResponse {
  readonly allowed: boolean;
  /** The webhook's status (its denial's code, reason, message, details). */
  readonly result: Record<string, unknown> | undefined;
  /** The decoded JSON patch bytes; undefined when none. */
  readonly patch: Buffer | undefined;
  readonly patchType: string;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
}

/** An answer that is not a valid AdmissionReview: the text after `received invalid webhook response: `. */
export class InvalidResponse extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's GroupVersionKind.String() of an object's apiVersion and kind. */
function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = av.lastIndexOf('/');
  const group = slash < 0 ? '' : av.slice(0, slash);
  const version = slash < 0 ? av : av.slice(slash + 1);
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/** Checks the decoded answer of a webhook sent `version` with `uid`; throws InvalidResponse. */
export function verifyResponse(body: unknown, version: ReviewVersion, uid: string, mutating: boolean): AdmissionResponse {
  const review = isObj(body) ? body : {};
  const r = review.response;
  if (!isObj(r)) throw new InvalidResponse('webhook response was absent');
  const rawPatch = typeof r.patch === 'string' && r.patch !== '' ? Buffer.from(r.patch, 'base64') : undefined;
  const patch = rawPatch && rawPatch.length > 0 ? rawPatch : undefined;
  let patchType = '';
  if (version === 'v1') {
    const got = typeof r.uid === 'string' ? r.uid : '';
    if (got !== uid) throw new InvalidResponse(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(got)}`);
    if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
      throw new InvalidResponse(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvkString(review.apiVersion, review.kind)}`);
    }
    const hasType = r.patchType !== undefined && r.patchType !== null;
    if (mutating) {
      if (patch && !hasType) throw new InvalidResponse('webhook returned response.patch but not response.patchType');
      if (!patch && hasType) throw new InvalidResponse('webhook returned response.patchType but not response.patch');
      if (hasType) {
        patchType = typeof r.patchType === 'string' ? r.patchType : '';
        if (patchType === '') throw new InvalidResponse(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`);
      }
    } else {
      if (patch) throw new InvalidResponse('validating webhook may not return response.patch');
      if (hasType) throw new InvalidResponse('validating webhook may not return response.patchType');
    }
  } else if (mutating && patch) {
    patchType = 'JSONPatch';
  }
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  const audit: Record<string, string> = {};
  if (isObj(r.auditAnnotations)) for (const [k, v] of Object.entries(r.auditAnnotations)) if (typeof v === 'string') audit[k] = v;
  return {
    allowed: r.allowed === true,
    result: isObj(r.status) ? r.status : undefined,
    patch: mutating ? patch : undefined,
    patchType,
    warnings,
    auditAnnotations: audit,
  };
}
