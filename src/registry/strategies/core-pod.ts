// core/v1 Pod: defaults, status on create (Pending + QoS class), admission
// defaults, validation of the spec and of what an update may change.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, key } from '../../api/validation/fieldpath.ts';
import { isObj, objAt, objsAt, semanticEqual } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateLocalDescendingPath } from '../../api/validation/pod-volumes.ts';
import { validatePodSpec } from '../../api/validation/pod-spec.ts';
import { jsonDiff, validatePodSpecUpdate } from '../../api/validation/pod-update.ts';
import { validatePodStatus } from '../../api/validation/pod-status.ts';
import { cmpQuantity, isZeroQuantity, parseQuantity } from '../../api/validation/quantity.ts';
import type { Quantity } from '../../api/validation/quantity.ts';
import type { Strategy, SubresourceWrite } from '../types.ts';
import { asObj, field, metaOf, validateMeta, validateMetaUpdate } from './common.ts';
import { admitDefaultTolerations, admitServiceAccount } from './pod-admission.ts';
import { defaultPodOnlySpec, defaultPodSpec } from './pod-defaults.ts';
import { deepCopy } from '../../api/json-copy.ts';

const mirrorPodAnnotation = 'kubernetes.io/config.mirror';
const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';
const seccompPodAnnotation = 'seccomp.security.alpha.kubernetes.io/pod';
const seccompContainerPrefix = 'container.seccomp.security.alpha.kubernetes.io/';
const appArmorPrefix = 'container.apparmor.security.beta.kubernetes.io/';

function addQuantity(m: Map<string, Quantity>, name: string, q: Quantity): void {
  const prev = m.get(name);
  if (!prev) { m.set(name, q); return; }
  const e = Math.min(prev.exp, q.exp);
  m.set(name, { mantissa: prev.mantissa * 10n ** BigInt(prev.exp - e) + q.mantissa * 10n ** BigInt(q.exp - e), exp: e, format: prev.format });
}

function positiveQuantities(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!isObj(list)) return out;
  for (const [name, v] of Object.entries(list)) {
    if (name !== 'cpu' && name !== 'memory') continue;
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const q = parseQuantity(v);
    if (typeof q !== 'string' && !isZeroQuantity(q) && q.mantissa > 0n) out.set(name, q);
  }
  return out;
}

/** The pod's QoS class, computed as the API server does on create. */
export function computeQOSClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const podRes = objAt(spec.resources);
  if (podRes && (isObj(podRes.requests) || isObj(podRes.limits))) {
    for (const [n, q] of positiveQuantities(podRes.requests)) requests.set(n, q);
    const lim = positiveQuantities(podRes.limits);
    for (const [n, q] of lim) limits.set(n, q);
    if (!lim.has('cpu') || !lim.has('memory')) guaranteed = false;
  } else {
    for (const c of [...objsAt(spec.containers), ...objsAt(spec.initContainers)]) {
      const res = objAt(c.resources) ?? {};
      for (const [n, q] of positiveQuantities(res.requests)) addQuantity(requests, n, q);
      const lim = positiveQuantities(res.limits);
      for (const [n, q] of lim) addQuantity(limits, n, q);
      if (!lim.has('cpu') || !lim.has('memory')) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [n, q] of requests) {
      const l = limits.get(n);
      if (!l || cmpQuantity(l, q) !== 0) { guaranteed = false; break; }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  defaultPodOnlySpec(spec);
  defaultPodSpec(spec);
}

function prepareForCreate(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  admitServiceAccount(asObj(obj), spec);
  admitDefaultTolerations(spec);
  defaults(obj);
  const status: Obj = { phase: 'Pending', qosClass: computeQOSClass(spec) };
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    status.conditions = [{
      type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null,
      reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates',
    }];
  }
  obj.status = status;
}

function validateSeccompAnnotationValue(v: string, path: string): FieldError[] {
  if (v === 'runtime/default' || v === 'docker/default' || v === 'unconfined') return [];
  if (v.startsWith('localhost/')) return validateLocalDescendingPath(v.slice('localhost/'.length), path);
  return [fieldError.invalid(path, v, 'must be a valid seccomp profile')];
}

function containerNames(spec: Obj): Set<string> {
  const names = new Set<string>();
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objsAt(spec[k])) if (typeof c.name === 'string') names.add(c.name);
  }
  return names;
}

/** ValidatePodSpecificAnnotations: mirror pods, deletion cost, seccomp and AppArmor annotations. */
export function validatePodAnnotations(annotations: unknown, spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObj(annotations)) return errs;
  const a = annotations;
  if (Object.hasOwn(a, mirrorPodAnnotation) && !(typeof spec.nodeName === 'string' && spec.nodeName.length > 0)) {
    errs.push(fieldError.invalid(key(path, mirrorPodAnnotation), a[mirrorPodAnnotation], 'must set spec.nodeName if mirror pod annotation is set'));
  }
  if (Object.hasOwn(a, deletionCostAnnotation)) {
    const v = a[deletionCostAnnotation];
    const n = typeof v === 'string' && /^[+-]?[0-9]+$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= -2147483648 && n <= 2147483647)) errs.push(fieldError.invalid(key(path, deletionCostAnnotation), v, 'must be a 32bit integer'));
  }
  const names = containerNames(spec);
  for (const [k, v] of Object.entries(a)) {
    if (typeof v !== 'string') continue;
    if (k === seccompPodAnnotation || k.startsWith(seccompContainerPrefix)) errs.push(...validateSeccompAnnotationValue(v, child(path, k)));
    if (k.startsWith(appArmorPrefix)) {
      const cname = k.slice(appArmorPrefix.length);
      if (!names.has(cname)) errs.push(fieldError.invalid(key(path, k), cname, 'container not found'));
      if (!(v === '' || v === 'runtime/default' || v === 'unconfined' || v.startsWith('localhost/'))) {
        errs.push(fieldError.invalid(key(path, k), v, `invalid AppArmor profile name: ${JSON.stringify(v)}`));
      }
    }
  }
  return errs;
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  const spec = isObj(o.spec) ? o.spec : {};
  const meta = metaOf(obj);
  errs.push(...validatePodAnnotations(meta.annotations, spec, 'metadata.annotations'));
  errs.push(...validatePodSpec(o.spec, 'spec', { isPod: true, podName: typeof meta.name === 'string' ? meta.name : undefined }));
  if ((typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : '') === '') {
    objsAt(spec.volumes).forEach((v, vi) => {
      const proj = objAt(v.projected);
      if (!proj) return;
      objsAt(proj.sources).forEach((s, si) => {
        if (s.serviceAccountToken !== undefined && s.serviceAccountToken !== null) {
          errs.push(fieldError.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`,
            'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '' && Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    errs.push(fieldError.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

function validateCreate(obj: KubeObject): FieldError[] {
  const spec = asObj(obj).spec;
  if (isObj(spec) && Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    return [fieldError.forbidden('spec.ephemeralContainers', 'cannot be set on create')];
  }
  return [];
}

/** ValidatePodSpecificAnnotationUpdates: AppArmor and mirror pod annotations may not change. */
function validatePodAnnotationUpdates(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const na = metaOf(obj).annotations, oa = metaOf(old).annotations;
  const newA = isObj(na) ? na : {}, oldA = isObj(oa) ? oa : {};
  const path = 'metadata.annotations';
  for (const [k, v] of Object.entries(oldA)) {
    if (Object.hasOwn(newA, k) && newA[k] === v) continue;
    if (k.startsWith(appArmorPrefix)) errs.push(fieldError.forbidden(key(path, k), 'may not remove or update AppArmor annotations'));
    if (k === mirrorPodAnnotation) errs.push(fieldError.forbidden(key(path, k), 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(newA)) {
    if (Object.hasOwn(oldA, k)) continue;
    if (k.startsWith(appArmorPrefix)) errs.push(fieldError.forbidden(key(path, k), 'may not add AppArmor annotations'));
    if (k === mirrorPodAnnotation) errs.push(fieldError.forbidden(key(path, k), 'may not add mirror pod annotation'));
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateMetaUpdate(obj, old), ...validatePodAnnotationUpdates(obj, old)];
  errs.push(...validatePodSpecUpdate(asObj(obj).spec, asObj(old).spec));
  return errs;
}

function ephemeralContainersOf(obj: KubeObject): Obj[] {
  const spec = asObj(obj).spec;
  return isObj(spec) ? objsAt(spec.ephemeralContainers) : [];
}

/**
 * pods/ephemeralcontainers: a write changes spec.ephemeralContainers only (metadata,
 * the rest of the spec and status stay the stored pod's), and may only add to it.
 */
const ephemeralContainersWrite: SubresourceWrite = {
  prepare(obj, old) {
    const next = deepCopy(old);
    const spec = (isObj(next.spec) ? next.spec : (next.spec = {})) as Obj;
    const sent = asObj(obj).spec;
    const list = isObj(sent) ? sent.ephemeralContainers : undefined;
    if (list === undefined || list === null) delete spec.ephemeralContainers;
    else spec.ephemeralContainers = deepCopy(list);
    defaults(next);
    return next;
  },
  // ValidatePodEphemeralContainersUpdate.
  validate(obj, old) {
    const errs = [...validateMetaUpdate(obj, old), ...validate(obj), ...validatePodAnnotationUpdates(obj, old)];
    const oa = metaOf(old).annotations;
    if (isObj(oa) && Object.hasOwn(oa, mirrorPodAnnotation)) {
      return [fieldError.forbidden('', 'static pods do not support ephemeral containers')];
    }
    // Existing ones may be neither removed nor changed; a patch need not keep their order.
    const path = 'spec.ephemeralContainers';
    const byName = new Map(ephemeralContainersOf(obj).map((c) => [c.name, c]));
    ephemeralContainersOf(old).forEach((before, i) => {
      const name = typeof before.name === 'string' ? before.name : '';
      const now = byName.get(before.name);
      if (now === undefined) {
        errs.push(fieldError.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
      } else if (!semanticEqual(before, now)) {
        const diff = jsonDiff(before, now, `${path}[${i}]`).join('\n');
        errs.push(fieldError.forbidden(path, `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${diff}`));
      }
    });
    return errs;
  },
};

export const podStrategy: Strategy = {
  defaults,
  prepareForCreate,
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = deepCopy(old.status);
    // What Priority admission set at create stays when an update leaves it out (as upstream's
    // plugin keeps it; here before validation, which refuses any other change to it).
    const spec = field(obj, 'spec');
    const was = field(old, 'spec');
    if (spec && was) {
      if ((spec.priority === undefined || spec.priority === null) && was.priority !== undefined) spec.priority = was.priority;
      if ((spec.preemptionPolicy === undefined || spec.preemptionPolicy === null) && was.preemptionPolicy !== undefined) spec.preemptionPolicy = was.preemptionPolicy;
    }
  },
  validate,
  validateCreate,
  validateUpdate,
  validateStatusUpdate: (obj, old) => [...validateMetaUpdate(obj, old), ...validatePodStatus(asObj(obj).status)],
  specFields: ['spec'],
  subresourceWrites: { ephemeralcontainers: ephemeralContainersWrite },
};
