// Priority admission, as kube-apiserver's Priority plugin: a new pod's
// priority and preemption policy come from its PriorityClass (the cluster's
// objects, the two system classes among them), or from the class marked
// globalDefault (whose name the pod then carries), or are 0 and
// PreemptLowerPriority when there is none. A pod naming a class that does not
// exist, or giving a priority or preemption policy other than its class's, is
// refused (403). An update keeps the priority fields the pod had (the pod
// strategy's prepareForUpdate, before validation). A
// PriorityClass may be made globalDefault only while no other is.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../../server/cluster.ts';

const PODS = { group: '', resource: 'pods' };
const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

interface ClassSpec { value?: number; preemptionPolicy?: string; globalDefault?: boolean }
interface PodPriority { priorityClassName?: string; priority?: number | null; preemptionPolicy?: string | null }

/** The values of the system classes, which a cluster holds from its start (server/bootstrap.ts). */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

const isPods = (def: ResourceDef) => def.group === '' && def.plural === 'pods';
const isPriorityClasses = (def: ResourceDef) => def.group === PRIORITY_CLASSES.group && def.plural === PRIORITY_CLASSES.resource;

/** The globalDefault class; of several (a race upstream allows too), the one of lowest value. */
function defaultClass(vc: VirtualCluster, def: ResourceDef): KubeObject | undefined {
  let found: KubeObject | undefined;
  for (const { obj } of vc.cache.scan(resourcePrefix(def))) {
    const c = obj as KubeObject & ClassSpec;
    if (c.globalDefault !== true) continue;
    if (!found || ((found as ClassSpec).value ?? 0) > (c.value ?? 0)) found = c;
  }
  return found;
}

function nameOf(obj: KubeObject): string {
  return obj.metadata?.name || obj.metadata?.generateName || '';
}

function admitPodCreate(vc: VirtualCluster, classes: ResourceDef, pod: KubeObject): void {
  const spec = (pod.spec ?? (pod.spec = {})) as PodPriority;
  let priority = 0;
  let policy: string | undefined = 'PreemptLowerPriority';
  if (!spec.priorityClassName) {
    const d = defaultClass(vc, classes) as (KubeObject & ClassSpec) | undefined;
    if (d) {
      spec.priorityClassName = d.metadata.name;
      priority = d.value ?? 0;
      policy = d.preemptionPolicy;
    }
  } else {
    const c = vc.store.peek(classes, undefined, spec.priorityClassName) as (KubeObject & ClassSpec) | undefined;
    if (!c) throw errors.forbidden(PODS, nameOf(pod), `no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = c.value ?? 0;
    policy = c.preemptionPolicy;
  }
  if (typeof spec.priority === 'number' && spec.priority !== priority) {
    throw errors.forbidden(PODS, nameOf(pod),
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (policy !== undefined) {
    if (typeof spec.preemptionPolicy === 'string' && spec.preemptionPolicy !== policy) {
      throw errors.forbidden(PODS, nameOf(pod),
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }
}

export function priorityAdmission(vc: VirtualCluster): AdmissionPlugin {
  const classes = (): ResourceDef | undefined => vc.registry.find('scheduling.k8s.io', 'v1', 'priorityclasses');
  return {
    name: 'Priority',
    admit(op, def, _namespace, obj) {
      // Updates keep the priority set at create: the pod strategy's prepareForUpdate sees to it.
      if (op !== 'create' || !isPods(def)) return;
      const c = classes();
      if (c) admitPodCreate(vc, c, obj);
    },
    validate(req) {
      if (!isPriorityClasses(req.def) || req.subresource !== undefined || !req.object) return;
      if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
      if ((req.object as ClassSpec).globalDefault !== true) return;
      const d = defaultClass(vc, req.def);
      if (d && (req.operation === 'CREATE' || d.metadata.name !== req.object.metadata.name)) {
        throw errors.forbidden(PRIORITY_CLASSES, req.object.metadata.name ?? '', `PriorityClass ${d.metadata.name} is already marked as default. Only one default can exist`);
      }
    },
  };
}
