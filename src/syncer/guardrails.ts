// Keeps a virtual cluster's host guardrails in place: the host namespace with
// its Pod Security labels, and the ResourceQuota, LimitRange and
// NetworkPolicies of guardrails-build.ts. Each run brings the host to the
// desired state: missing objects are created, objects someone changed are
// put back, objects the spec no longer asks for are deleted. It only ever
// touches objects carrying this virtual cluster's vcluster label and the
// guardrail label, so virtual clusters sharing a namespace leave each other
// alone. Run it when the host namespace is first used and on every drift check.

import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/types.ts';
import { isPlainObject } from '../api/types.ts';
import { canonicalQuantity } from '../api/validation/quantity.ts';
import type { HostConnection, HostResource } from './host/connection.ts';
import { HostError } from './host/errors.ts';
import { ANN_VCLUSTER, LABEL_VCLUSTER } from './translate/keys.ts';
import { markerLabels } from './translate/markers.ts';
import {
  ANN_POD_SECURITY, LABEL_GUARDRAIL, guardrailObjects, guardrailSelector, namespaceLabels, parsePodSecurityRecord,
  type GuardrailSpec, type PodSecurityLevels, type ServerReach,
} from './guardrails-build.ts';

export * from './guardrails-build.ts';

/** The kinds guardrails are made of. */
export const GUARDRAIL_RESOURCES = {
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas' },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies' },
} as const satisfies Record<string, HostResource>;

type GuardrailKind = keyof typeof GUARDRAIL_RESOURCES;
const KINDS = Object.keys(GUARDRAIL_RESOURCES) as GuardrailKind[];

/** What a run changed on the host; objects as `Kind/name`. */
export interface GuardrailSummary {
  readonly created: string[];
  readonly updated: string[];
  readonly deleted: string[];
  /** Worth showing in the VirtualCluster status (a shared namespace's quotas, for one). */
  readonly warnings: string[];
}

const ref = (o: KubeObject) => `${o.kind as string}/${o.metadata.name as string}`;

/**
 * Bring the guardrails of `vcluster` in `hostNamespace` to what `spec` asks
 * for. Every object is tried; a HostError naming each object that failed is
 * thrown at the end (with the first failure's code and reason, so callers can
 * tell transient from permanent).
 */
export async function reconcileGuardrails(
  conn: HostConnection, vcluster: string, hostNamespace: string, spec: GuardrailSpec, server: ServerReach,
): Promise<GuardrailSummary> {
  const desired = guardrailObjects(vcluster, hostNamespace, spec, server);
  const summary: GuardrailSummary = { created: [], updated: [], deleted: [], warnings: [] };
  const present = await listGuardrails(conn, hostNamespace);
  const ownLabel = markerLabels(vcluster)[LABEL_VCLUSTER];
  const mine = present.filter((o) => o.metadata.labels?.[LABEL_VCLUSTER] === ownLabel);
  const others = present.filter((o) => (o.metadata.labels?.[LABEL_VCLUSTER] ?? ownLabel) !== ownLabel);

  const sharers = new Map<string, PodSecurityLevels>();
  for (const o of others) {
    const name = o.metadata.annotations?.[ANN_VCLUSTER] ?? o.metadata.labels?.[LABEL_VCLUSTER] ?? '';
    sharers.set(name, parsePodSecurityRecord(o.metadata.annotations?.[ANN_POD_SECURITY]));
  }
  await conn.ensureNamespace(hostNamespace, namespaceLabels(spec, [...sharers.values()]));
  const quotas = present.some((o) => o.kind !== 'NetworkPolicy') || desired.some((o) => o.kind !== 'NetworkPolicy');
  if (sharers.size > 0 && quotas) {
    summary.warnings.push(`host namespace ${hostNamespace} is shared with virtual cluster(s) ${[...sharers.keys()].sort().join(', ')}: ` +
      'its ResourceQuotas and LimitRanges hold for all their pods together; give each virtual cluster its own host namespace for a quota of its own');
  }

  const failures: { what: string; error: HostError }[] = [];
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof HostError)) throw e;
      failures.push({ what, error: e });
    }
  };
  for (const want of desired) {
    const kind = want.kind as GuardrailKind;
    const have = mine.find((o) => o.kind === kind && o.metadata.name === want.metadata.name);
    await attempt(ref(want), async () => {
      const outcome = await ensureObject(conn, GUARDRAIL_RESOURCES[kind], hostNamespace, want, have);
      if (outcome !== 'unchanged') summary[outcome].push(ref(want));
    });
  }
  const wanted = new Set(desired.map(ref));
  for (const o of mine) {
    if (wanted.has(ref(o))) continue;
    await attempt(ref(o), async () => {
      if (await deleteObject(conn, hostNamespace, o)) summary.deleted.push(ref(o));
    });
  }
  if (failures.length > 0) throw combined(`the host guardrails of virtual cluster ${vcluster} in namespace ${hostNamespace}`, failures);
  return summary;
}

/**
 * Delete every guardrail object of `vcluster` in `hostNamespace` (when the
 * virtual cluster is deleted); returns them as `Kind/name`. The namespace and
 * its labels stay: other virtual clusters may use it.
 */
export async function removeGuardrails(conn: HostConnection, vcluster: string, hostNamespace: string): Promise<string[]> {
  const deleted: string[] = [];
  const failures: { what: string; error: HostError }[] = [];
  for (const o of await listGuardrails(conn, hostNamespace, guardrailSelector(vcluster))) {
    try {
      if (await deleteObject(conn, hostNamespace, o)) deleted.push(ref(o));
    } catch (e) {
      if (!(e instanceof HostError)) throw e;
      failures.push({ what: ref(o), error: e });
    }
  }
  if (failures.length > 0) throw combined(`removing the host guardrails of virtual cluster ${vcluster} in namespace ${hostNamespace}`, failures);
  return deleted;
}

/** The guardrail objects in the namespace (default: every virtual cluster's), with kind set. */
async function listGuardrails(conn: HostConnection, namespace: string, labelSelector = LABEL_GUARDRAIL): Promise<KubeObject[]> {
  const lists = await Promise.all(KINDS.map(async (kind) => {
    const list = await conn.list(GUARDRAIL_RESOURCES[kind], namespace, { labelSelector });
    return list.items.map((o) => ({ ...o, kind, apiVersion: GUARDRAIL_RESOURCES[kind].apiVersion }));
  }));
  return lists.flat();
}

type Outcome = 'created' | 'updated' | 'unchanged';

/**
 * Make the object on the host match `want`. `have` is what the list found;
 * an object that lost its labels is not listed, so a create that finds it
 * already there reads it and updates it instead. An update racing another
 * writer (409 Conflict) reads the object again and retries.
 */
async function ensureObject(conn: HostConnection, resource: HostResource, namespace: string, want: KubeObject, have: KubeObject | undefined): Promise<Outcome> {
  const name = want.metadata.name as string;
  let current = have;
  for (let attempt = 0; ; attempt++) {
    if (current === undefined) {
      try {
        await conn.create(resource, namespace, want);
        return 'created';
      } catch (e) {
        if (!(e instanceof HostError && e.alreadyExists) || attempt >= 3) throw e;
        current = await conn.get(resource, namespace, name);
        continue;
      }
    }
    if (matches(want, current)) return 'unchanged';
    try {
      await conn.update(resource, namespace, {
        ...current,
        metadata: {
          ...current.metadata,
          labels: { ...current.metadata.labels, ...want.metadata.labels },
          annotations: { ...current.metadata.annotations, ...want.metadata.annotations },
        },
        spec: want.spec,
      });
      return 'updated';
    } catch (e) {
      if (!(e instanceof HostError) || attempt >= 3) throw e;
      if (e.notFound) current = undefined; // deleted meanwhile: create it again
      else if (e.conflict) current = await conn.get(resource, namespace, name).catch((e2: unknown) => {
        if (e2 instanceof HostError && e2.notFound) return undefined;
        throw e2;
      });
      else throw e;
    }
  }
}

/** Delete the object (this very one: uid precondition); false when it was already gone. */
async function deleteObject(conn: HostConnection, namespace: string, o: KubeObject): Promise<boolean> {
  try {
    await conn.delete(GUARDRAIL_RESOURCES[o.kind as GuardrailKind], namespace, o.metadata.name as string, { uid: o.metadata.uid });
    return true;
  } catch (e) {
    if (e instanceof HostError && (e.notFound || e.conflict)) return false; // gone, or replaced by a namesake
    throw e;
  }
}

/**
 * True when the host object is as wanted: our labels and annotations are on
 * it and its spec means the same (quantities compared in canonical form,
 * empty fields as absent, as the API server writes them).
 */
export function matches(want: KubeObject, have: KubeObject): boolean {
  for (const key of ['labels', 'annotations'] as const) {
    const theirs = have.metadata[key] ?? {};
    for (const [k, v] of Object.entries(want.metadata[key] ?? {})) if (theirs[k] !== v) return false;
  }
  return isDeepStrictEqual(normalSpec(want), normalSpec(have));
}

const QUANTITY_MAPS = new Set(['hard', 'max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']);
/** An empty selector selects everything: unlike other empty fields, it means something. */
const SELECTORS = new Set(['podSelector', 'namespaceSelector']);

function normalSpec(o: KubeObject): unknown {
  return prune(o.spec, '');
}

function prune(v: unknown, key: string): unknown {
  if (Array.isArray(v)) return v.map((x) => prune(x, ''));
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = QUANTITY_MAPS.has(key) ? canonicalQuantity(x) : prune(x, k);
    if (p === undefined || p === null) continue;
    if (Array.isArray(p) && p.length === 0) continue;
    if (isPlainObject(p) && Object.keys(p).length === 0 && !SELECTORS.has(k)) continue;
    out[k] = p;
  }
  return out;
}

function combined(what: string, failures: { what: string; error: HostError }[]): HostError {
  const first = failures[0].error;
  const message = `${what}: ${failures.map((f) => `${f.what}: ${f.error.message}`).join('; ')}`;
  return new HostError(first.code, first.reason, message, first.status, first.retryAfterSeconds, first);
}
