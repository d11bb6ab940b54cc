// What admission webhooks and admission policies share to decide whether a
// write concerns them, as upstream's webhook predicates (rules, namespace and
// object selectors) and the policies' matching package use the same code:
// the write's attributes, the rules (operation, API group, version, resource
// and subresource, scope), the namespace and object selectors, the other
// versions of a resource (matchPolicy Equivalent) and the kinds exempt from
// both (the admission configuration itself).
//
// What is equivalent here: the resources kubevisor serves in several versions
// over one storage (autoscaling/v1 and v2 HorizontalPodAutoscalers, core/v1
// and events.k8s.io/v1 Events, the served versions of a custom resource),
// which is what upstream's equivalent-resource registry holds for them.

import { errors, type ApiError } from '../../api/errors.ts';
import { fromLabelSelector, type LabelSelector } from '../../api/selectors/labels.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionRequest } from '../../registry/generic/admission.ts';
import { storageOf } from '../../registry/generic/keys.ts';
import type { Registry } from '../../registry/registry.ts';
import { apiVersionOf, type ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';

/** A rule of a webhook, or of a policy's resourceRules (RuleWithOperations). */
export interface Rule {
  readonly operations: readonly string[];
  readonly apiGroups: readonly string[];
  readonly apiVersions: readonly string[];
  readonly resources: readonly string[];
  /** '*', 'Cluster' or 'Namespaced'. */
  readonly scope: string;
}

/** What a rule is matched against: one write. */
export interface Attributes {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly def: ResourceDef;
  /** The kind of the object when it is not the resource's own (a CONNECT's options); undefined: `def`'s. */
  readonly kind?: { readonly group: string; readonly version: string; readonly kind: string };
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

/** The write as rules see it. */
export function attributesOf(req: AdmissionRequest): Attributes {
  const def = req.def;
  const namespaces = def.group === '' && def.plural === 'namespaces';
  return {
    operation: req.operation, def, kind: req.kind, subresource: req.subresource ?? '',
    // A request to a Namespace's own path names it as its namespace (not a create: its path names none).
    namespace: namespaces && req.operation !== 'CREATE' ? req.name : req.namespace ?? '',
    name: req.name, object: req.object, oldObject: req.oldObject,
  };
}

/** Kinds no webhook or policy is called for: the admission configuration itself (upstream's IsExemptAdmissionConfigurationResource). */
const exemptKinds: ReadonlySet<string> = new Set([
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
]);

export function isExempt(def: ResourceDef): boolean {
  return def.group === 'admissionregistration.k8s.io' && exemptKinds.has(def.kind);
}

export function isNamespaces(def: { group: string; version: string; plural: string }): boolean {
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

/** A label selector as stored (unset: the API's default, {}, everything), or the error parsing it gave. */
export function parseSelector(v: unknown): LabelSelector | Error {
  try {
    return fromLabelSelector(v ?? {});
  } catch (e) {
    return e as Error;
  }
}

/** The namespace's labels for a namespaceSelector (undefined: the namespace is not there). */
export type NamespaceLabels = (name: string) => Record<string, string> | undefined;

/** A cluster's namespaces' labels, read from its watch cache. */
export function namespaceLabels(vc: VirtualCluster): NamespaceLabels {
  const nsDef = vc.registry.find('', 'v1', 'namespaces');
  return (name) => {
    const ns = nsDef ? vc.store.peek(nsDef, undefined, name) : undefined;
    return ns ? ns.metadata.labels ?? {} : undefined;
  };
}

/**
 * Whether the namespaceSelector lets the write through: always for
 * cluster-scoped objects other than Namespaces; a Namespace's create or update
 * is judged by its own (new) labels, anything else by its namespace's labels
 * (a 404 when the namespace is not there).
 */
export function namespaceSelectorMatches(m: { readonly namespaceSelector: LabelSelector | Error }, a: Attributes, labelsOf: NamespaceLabels): boolean | ApiError {
  const ns = isNamespaces(a.def);
  if (a.namespace === '' && !ns) return true;
  const sel = m.namespaceSelector;
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

/**
 * Whether the objectSelector selects the new or the old object. An object
 * without metadata (a CONNECT's options) is never selected, as upstream
 * cannot read its labels.
 */
export function objectSelectorMatches(m: { readonly objectSelector: LabelSelector | Error }, a: Attributes): boolean | ApiError {
  const sel = m.objectSelector;
  if (sel instanceof Error) return errors.internal(sel.message);
  if (sel.empty) return true;
  const matches = (o: KubeObject | undefined) => o?.metadata !== undefined && sel.matches(o.metadata.labels ?? {});
  return matches(a.object) || matches(a.oldObject);
}

/** `obj` (of `from`'s version) in `to`'s version: the resource's conversion, or (custom resources) only its apiVersion. */
export function convertObject(from: ResourceDef, to: ResourceDef, obj: KubeObject): KubeObject {
  if (from === to) return obj;
  const apiVersion = apiVersionOf(to);
  if (obj.apiVersion === apiVersion && obj.kind === to.kind) return obj;
  if (from.conversion) return from.conversion.convert(obj, apiVersion);
  return { ...obj, apiVersion, kind: to.kind };
}
