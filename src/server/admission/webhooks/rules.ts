// Which webhooks a write goes to, as upstream decides it (admission plugin
// webhook/predicates and generic.ShouldCallHook): the namespace selector, the
// object selector, then the rules (operation, API group, version, resource
// and subresource, scope); under matchPolicy Equivalent, a rule that names
// another version of the same stored resource matches too, and the webhook
// is sent the object in that version.
//
// What is equivalent here: the resources kubevisor serves in several versions
// over one storage (autoscaling/v1 and v2 HorizontalPodAutoscalers, core/v1
// and events.k8s.io/v1 Events, the served versions of a custom resource),
// which is what upstream's equivalent-resource registry holds for them.

import { errors, type ApiError } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import { storageOf } from '../../../registry/generic/keys.ts';
import type { Registry } from '../../../registry/registry.ts';
import { apiVersionOf, type ResourceDef } from '../../../registry/types.ts';
import type { Rule, Webhook } from './config.ts';

/** What a rule is matched against: one write. */
export interface Attributes {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly def: ResourceDef;
  /** '' for none. */
  readonly subresource: string;
  /**
   * The request's namespace as upstream's request info has it: the object's,
   * '' for a cluster-scoped object, and a Namespace's own name when the path
   * names it (update, delete: not create).
   */
  readonly namespace: string;
  readonly name: string;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
}

/** A webhook to call, and the version of the resource it is sent. */
export interface Invocation {
  readonly webhook: Webhook;
  /** The resource in the version the webhook asked for (the request's own, or an equivalent one). */
  readonly def: ResourceDef;
}

/** Kinds no webhook is called for: the admission configuration itself (upstream's IsExemptAdmissionConfigurationResource). */
const exemptKinds: ReadonlySet<string> = new Set([
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
]);

export function isExempt(def: ResourceDef): boolean {
  return def.group === 'admissionregistration.k8s.io' && exemptKinds.has(def.kind);
}

function isNamespaces(def: { group: string; version: string; plural: string }): boolean {
  return def.group === '' && def.version === 'v1' && def.plural === 'namespaces';
}

function exactOrWildcard(items: readonly string[], requested: string): boolean {
  return items.some((i) => i === '*' || i === requested);
}

/** Whether `rule` matches the write, with `def` standing for the resource (the request's, or an equivalent). */
export function ruleMatches(rule: Rule, a: Attributes, def: ResourceDef = a.def): boolean {
  // Scope: a Namespace counts as cluster-scoped, whatever namespace its request names.
  const ns = isNamespaces(def);
  if (rule.scope === 'Namespaced' && (ns || a.namespace === '')) return false;
  if (rule.scope === 'Cluster' && !(ns || a.namespace === '')) return false;
  if (rule.scope !== '*' && rule.scope !== 'Namespaced' && rule.scope !== 'Cluster') return false;
  if (!rule.operations.some((o) => o === '*' || o === a.operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, def.group)) return false;
  if (!exactOrWildcard(rule.apiVersions, def.version)) return false;
  return rule.resources.some((r) => {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    return (res === '*' || res === def.plural) && (sub === '*' || sub === a.subresource);
  });
}

/** The other versions of the request's resource (same storage), in the registry's order. */
export function equivalentResources(registry: Registry, def: ResourceDef): ResourceDef[] {
  const s = storageOf(def);
  return registry.resources.filter((r) => r !== def && !r.virtual && (r.group !== def.group || r.version !== def.version || r.plural !== def.plural) &&
    storageOf(r).group === s.group && storageOf(r).resource === s.resource && r.scope === def.scope);
}

/** The namespace's labels for a webhook's namespaceSelector (a 404 when the namespace is not there). */
export type NamespaceLabels = (name: string) => Record<string, string> | undefined;

/**
 * Whether the webhook's namespaceSelector lets the write through: always for
 * cluster-scoped objects other than Namespaces; a Namespace's create or update
 * is judged by its own (new) labels, anything else by its namespace's labels.
 */
export function namespaceSelectorMatches(w: Webhook, a: Attributes, labelsOf: NamespaceLabels): boolean | ApiError {
  const ns = isNamespaces(a.def);
  if (a.namespace === '' && !ns) return true;
  const sel = w.namespaceSelector;
  if (sel instanceof Error) return errors.internal(sel.message);
  if (sel.empty) return true;
  let labels: Record<string, string> | undefined;
  if (ns && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) {
    labels = a.object?.metadata.labels ?? {};
  } else {
    labels = labelsOf(a.namespace);
    if (labels === undefined) return errors.notFound({ group: '', resource: 'namespaces' }, a.namespace);
  }
  return sel.matches(labels);
}

/** Whether the webhook's objectSelector selects the new or the old object. */
export function objectSelectorMatches(w: Webhook, a: Attributes): boolean | ApiError {
  const sel = w.objectSelector;
  if (sel instanceof Error) return errors.internal(sel.message);
  if (sel.empty) return true;
  const m = (o: KubeObject | undefined) => o !== undefined && sel.matches(o.metadata?.labels ?? {});
  return m(a.object) || m(a.oldObject);
}

/**
 * Whether to call `w` for the write (undefined: not), and in which version;
 * an ApiError when a selector cannot be evaluated for a webhook whose rules
 * match. `equivalents` lists the other versions of the resource (asked for
 * only when no rule matches the request's own).
 */
export function invocationFor(w: Webhook, a: Attributes, labelsOf: NamespaceLabels, equivalents: () => readonly ResourceDef[]): Invocation | ApiError | undefined {
  const nsMatch = namespaceSelectorMatches(w, a, labelsOf);
  if (nsMatch === false) return undefined;
  const objMatch = objectSelectorMatches(w, a);
  if (objMatch === false) return undefined;
  let inv: Invocation | undefined;
  if (w.rules.some((r) => ruleMatches(r, a))) inv = { webhook: w, def: a.def };
  if (!inv && w.matchPolicy === 'Equivalent') {
    // Earlier rules first, each against every equivalent version.
    outer: for (const r of w.rules) {
      for (const eq of equivalents()) {
        if (ruleMatches(r, a, eq)) { inv = { webhook: w, def: eq }; break outer; }
      }
    }
  }
  if (!inv) return undefined;
  if (nsMatch !== true) return nsMatch;
  if (objMatch !== true) return objMatch;
  return inv;
}

/** `obj` (of `from`'s version) in `to`'s version: the resource's conversion, or (custom resources) only its apiVersion. */
export function convertObject(from: ResourceDef, to: ResourceDef, obj: KubeObject): KubeObject {
  if (from === to) return obj;
  const apiVersion = apiVersionOf(to);
  if (obj.apiVersion === apiVersion && obj.kind === to.kind) return obj;
  if (from.conversion) return from.conversion.convert(obj, apiVersion);
  return { ...obj, apiVersion, kind: to.kind };
}
