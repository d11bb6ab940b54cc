// The built-in resources of a cluster: the catalog's facts joined with each
// kind's strategy, table printer and field selectors.

import { builtinResources, groupOrder } from './catalog.ts';
import { fieldSelectorsFor } from './field-selectors.ts';
import { conversionFor } from './conversions/index.ts';
import { schemaForKind } from '../api/schema/index.ts';
import { Registry } from './registry.ts';
import type { ResourceDef, Strategy } from './types.ts';
import type { KubeObject } from '../api/types.ts';

/** Groups whose machinery arrives in later work; not served yet. */
const notYetServed = new Set<string>();

/** The finalizer a CRD gets on delete: its custom resources go before it does. */
export const crdCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

/** On a CRD's first delete: add the cleanup finalizer and keep it, as upstream's CRD storage does. */
function crdHold(obj: KubeObject): boolean {
  if (obj.metadata.deletionTimestamp) return false;
  const fins = obj.metadata.finalizers ?? [];
  if (!fins.includes(crdCleanupFinalizer)) obj.metadata.finalizers = [...fins, crdCleanupFinalizer];
  return true;
}

/** Virtual resources: answered by the server, never stored. */
const virtualResources = new Set([
  'authentication.k8s.io/selfsubjectreviews', 'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews',
  'authorization.k8s.io/subjectaccessreviews', 'authorization.k8s.io/localsubjectaccessreviews',
  '/bindings', '/componentstatuses',
]);

/**
 * Resources whose metadata.generation counts spec changes, as upstream's
 * strategies set it (configmaps, secrets, services, nodes... have none).
 */
const generationTracked = new Set([
  '/pods', '/replicationcontrollers', '/podtemplates', 'discovery.k8s.io/endpointslices', 'apiextensions.k8s.io/customresourcedefinitions',
  'apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'apps/daemonsets',
  'batch/jobs', 'batch/cronjobs', 'autoscaling/horizontalpodautoscalers', 'policy/poddisruptionbudgets',
  'networking.k8s.io/networkpolicies', 'networking.k8s.io/ingresses', 'networking.k8s.io/ingressclasses',
  'admissionregistration.k8s.io/validatingwebhookconfigurations', 'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingadmissionpolicies', 'admissionregistration.k8s.io/validatingadmissionpolicybindings',
  'admissionregistration.k8s.io/mutatingadmissionpolicies', 'admissionregistration.k8s.io/mutatingadmissionpolicybindings',
  'flowcontrol.apiserver.k8s.io/flowschemas', 'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations',
  'resource.k8s.io/resourceclaims', 'resource.k8s.io/deviceclasses', 'resource.k8s.io/resourceslices',
  'storage.k8s.io/volumeattributesclasses',
]);

export interface Behaviour {
  strategyFor?(group: string, version: string, kind: string): Strategy;
  tableFor?(group: string, version: string, kind: string): ResourceDef['table'];
  /** Loads strategies and printers on first use (they are many modules; an idle server needs none). */
  load?(): Promise<{
    strategyFor(group: string, version: string, kind: string): Strategy;
    tableFor(group: string, version: string, kind: string): ResourceDef['table'];
  }>;
}

let behaviour: Behaviour = {};

/** Install per-kind strategies and printers (kept apart so the registry loads without them in tests). */
export function setBehaviour(b: Behaviour): void {
  behaviour = b;
}

/** A namespace with spec.finalizers stays, Terminating, until the namespace controller empties it. */
function namespaceHold(obj: KubeObject): boolean {
  const fins = (obj.spec as { finalizers?: unknown } | undefined)?.finalizers;
  if (!Array.isArray(fins) || fins.length === 0) return false;
  obj.status = { ...((obj.status as object) ?? {}), phase: 'Terminating' };
  return true;
}

let cached: { defs: ResourceDef[]; preferred: Record<string, string> } | undefined;
/** The built-ins followed by each set of extra declarations, made once per set (so registries of it share one index). */
const withExtras = new WeakMap<readonly ResourceDef[], readonly ResourceDef[]>();

/**
 * A registry of the built-in resources, for one cluster (the declarations are shared; custom resources are per cluster).
 * `extra`: declarations the server answers itself besides (the Metrics API of virtual clusters), listed after the built-ins.
 */
export function builtinRegistry(extra?: readonly ResourceDef[]): Registry {
  cached ??= buildBuiltins();
  if (!extra || extra.length === 0) return new Registry(cached.defs, cached.preferred);
  let defs = withExtras.get(extra);
  if (!defs) withExtras.set(extra, (defs = [...cached.defs, ...extra]));
  return new Registry(defs, cached.preferred);
}

function buildBuiltins(): { defs: ResourceDef[]; preferred: Record<string, string> } {
  const defs: ResourceDef[] = [];
  // What the server decides itself, whatever the per-kind strategy says.
  const own = new Map<ResourceDef, Strategy>();
  for (const info of builtinResources()) {
    if (notYetServed.has(info.group)) continue;
    const key = `${info.group}/${info.plural}`;
    const local: Strategy = {};
    if (generationTracked.has(key)) local.specFields = ['spec'];
    if (key === '/namespaces') local.holdForDeletion = namespaceHold;
    if (key === 'apiextensions.k8s.io/customresourcedefinitions') local.holdForDeletion = crdHold;
    const def: ResourceDef = {
      ...info,
      strategy: { ...(behaviour.strategyFor?.(info.group, info.version, info.kind) ?? {}), ...local },
      table: behaviour.tableFor?.(info.group, info.version, info.kind),
      fieldSelectors: fieldSelectorsFor(info.group, info.plural),
      schema: () => schemaForKind(info.group, info.version, info.kind),
    };
    own.set(def, local);
    const conversion = info.storage ? conversionFor(info.storage) : undefined;
    if (conversion) def.conversion = conversion;
    if (virtualResources.has(key)) def.virtual = () => { throw new Error('answered by the server'); };
    defs.push(def);
  }
  // The loader is looked up when first needed: the registry may be built before it is installed.
  let loading: Promise<void> | undefined;
  const load = (): Promise<void> => {
    const loader = behaviour.load;
    if (!loader) return Promise.resolve();
    return (loading ??= loader().then(({ strategyFor, tableFor }) => {
      for (const def of defs) {
        def.strategy = { ...strategyFor(def.group, def.version, def.kind), ...own.get(def) };
        def.table = tableFor(def.group, def.version, def.kind);
      }
    }));
  };
  for (const def of defs) def.loadBehaviour = load;
  const preferred: Record<string, string> = {};
  for (const g of groupOrder()) preferred[g.group] = g.preferredVersion;
  return { defs, preferred };
}
