// core/v1 Node: status as the agent reports it (kept on create, carried over on
// update), allocatable defaulting to capacity, taints and pod CIDRs.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { validateCIDR, isIPv6String } from '../../api/validation/ip.ts';
import { getObject, getObjectList, getString, getStringArray, isObj, objAt, semanticEqual } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateTaints } from '../../api/validation/pod-scheduling.ts';
import { readResourceList, validateResourceQuantityValue } from '../../api/validation/resources.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, keepStatus, validateMeta, validateMetaUpdate } from './common.ts';
import { canonicalizeResourceList } from './pod-defaults.ts';
import { deepCopy } from '../../api/json-copy.ts';

const nodeInfoFields = ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion',
  'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'];

function defaults(obj: KubeObject): void {
  field(obj, 'spec');
  const status = field(obj, 'status');
  if (!status) return;
  if ((status.allocatable === undefined || status.allocatable === null) && isObj(status.capacity)) {
    status.allocatable = deepCopy(status.capacity);
  }
  canonicalizeResourceList(status.capacity);
  canonicalizeResourceList(status.allocatable);
  // Zero-valued structs the server always writes.
  const de = field(status, 'daemonEndpoints');
  const ke = de ? field(de, 'kubeletEndpoint') : undefined;
  if (ke && (ke.Port === undefined || ke.Port === null)) ke.Port = 0;
  const info = field(status, 'nodeInfo');
  if (info) for (const f of nodeInfoFields) if (info[f] === undefined || info[f] === null) info[f] = '';
}

function podCIDRErrors(cidrs: string[], errs: FieldError[]): void {
  const path = 'spec.podCIDRs';
  cidrs.forEach((c, i) => errs.push(...validateCIDR(index(path, i), c)));
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => isIPv6String(c.split('/')[0] as string));
    if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(fieldError.invalid(path, cidrs, 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldError.duplicate(index(path, i), c));
      seen.add(c);
    });
  }
}

function validateResources(o: Record<string, unknown>, errs: FieldError[]): void {
  const status = objAt(o.status);
  if (!status) return;
  for (const k of ['capacity', 'allocatable']) {
    const path = child('status', k);
    for (const [name, q] of readResourceList(status[k], path, errs)) {
      // Upstream builds these paths with Child, not Key.
      errs.push(...validateResourceQuantityValue(name, q, child(path, name)));
    }
  }
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: false, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  const spec = getObject(o, 'spec', '', errs) ?? {};
  // Upstream reports taint problems under metadata.taints.
  errs.push(...validateTaints(spec.taints, 'metadata.taints'));
  validateResources(o, errs);
  podCIDRErrors(getStringArray(spec, 'podCIDRs', 'spec', errs) ?? [], errs);
  getString(spec, 'podCIDR', 'spec', errs);
  getString(spec, 'providerID', 'spec', errs);
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const o = asObj(obj), oo = asObj(old);
  const spec = isObj(o.spec) ? o.spec : {};
  const oldSpec = isObj(oo.spec) ? oo.spec : {};
  const status = isObj(o.status) ? o.status : {};
  const seen = new Set<string>();
  for (const { item, path } of getObjectList(status, 'addresses', 'status', errs)) {
    const k = JSON.stringify([item.type, item.address]);
    if (seen.has(k)) errs.push(fieldError.duplicate(path, item));
    seen.add(k);
  }
  const oldCIDRs = Array.isArray(oldSpec.podCIDRs) ? oldSpec.podCIDRs : [];
  if (oldCIDRs.length > 0) {
    const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [];
    if (cidrs.length !== oldCIDRs.length || oldCIDRs.some((c, i) => c !== cidrs[i])) {
      errs.push(fieldError.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
  }
  const pid = typeof oldSpec.providerID === 'string' ? oldSpec.providerID : '';
  if (pid.length > 0 && pid !== spec.providerID) {
    errs.push(fieldError.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  if (!semanticEqual(spec.externalID, oldSpec.externalID)) errs.push(fieldError.forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

export const nodeStrategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    const spec = objAt(asObj(obj).spec);
    if (spec) delete spec.configSource;
    const status = objAt(asObj(obj).status);
    if (status) delete status.config;
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const spec = objAt(asObj(obj).spec);
    const oldSpec = objAt(asObj(old).spec);
    if (spec && (!oldSpec || oldSpec.configSource === undefined)) delete spec.configSource;
  },
  validate,
  validateUpdate,
};


