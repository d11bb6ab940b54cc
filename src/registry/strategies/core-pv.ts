// core/v1 PersistentVolume: reclaim policy and volume mode defaults, phase
// Pending on create, ValidatePersistentVolumeSpec, and an immutable volume source.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, key } from '../../api/validation/fieldpath.ts';
import { deepClone, getObject, getString, getStringArray, isObj, objAt, semanticEqual, setDefault, typeInvalid } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import { validateNodeSelector } from '../../api/validation/pod-scheduling.ts';
import { jsonDiff } from '../../api/validation/pod-update.ts';
import { validateCSIDriverName, validatePathNoBacksteps } from '../../api/validation/pod-volumes.ts';
import { supportedVolumeModes, validateAccessModes } from '../../api/validation/pvc-spec.ts';
import { readResourceList, validatePositiveQuantity } from '../../api/validation/resources.ts';
import { quantityString } from '../../api/validation/quantity.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, keepStatus, validateMeta, validateMetaUpdate } from './common.ts';
import { canonicalizeResourceList } from './pod-defaults.ts';

const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];

type Check = (src: Obj, path: string, errs: FieldError[]) => void;

function required(...fields: string[]): Check {
  return (src, path, errs) => {
    for (const f of fields) if ((getString(src, f, path, errs) ?? '') === '') errs.push(fieldError.required(child(path, f)));
  };
}

function secretRef(src: Obj, k: string, path: string, errs: FieldError[]): void {
  const ref = getObject(src, k, path, errs);
  if (!ref) return;
  const p = child(path, k);
  const name = getString(ref, 'name', p, errs) ?? '';
  const ns = getString(ref, 'namespace', p, errs) ?? '';
  if (name === '') errs.push(fieldError.required(child(p, 'name')));
  else for (const m of isDNS1123Subdomain(name)) errs.push(fieldError.invalid(child(p, 'name'), name, m));
  if (ns === '') errs.push(fieldError.required(child(p, 'namespace')));
  else for (const m of isDNS1123Label(ns)) errs.push(fieldError.invalid(child(p, 'namespace'), ns, m));
}

/** [JSON key, path for its checks, checks]; the order is upstream's. */
const pvSources: Array<[string, string, Check | undefined]> = [
  ['hostPath', 'hostPath', (s, p, e) => {
    const hp = getString(s, 'path', p, e) ?? '';
    if (hp === '') { e.push(fieldError.required(child(p, 'path'))); return; }
    e.push(...validatePathNoBacksteps(hp, child(p, 'path')));
  }],
  ['gcePersistentDisk', 'persistentDisk', required('pdName')],
  ['awsElasticBlockStore', 'awsElasticBlockStore', required('volumeID')],
  ['glusterfs', 'glusterfs', (s, p, e) => { required('path')(s, p, e); if ((getString(s, 'endpoints', p, e) ?? '') === '') e.push(fieldError.required(child(p, 'endpoints'))); }],
  ['flocker', 'flocker', undefined],
  ['nfs', 'nfs', (s, p, e) => {
    required('server', 'path')(s, p, e);
    const np = typeof s.path === 'string' ? s.path : '';
    if (!np.startsWith('/')) e.push(fieldError.invalid(child(p, 'path'), np, 'must be an absolute path'));
  }],
  ['rbd', 'rbd', (s, p, e) => {
    if ((getStringArray(s, 'monitors', p, e) ?? []).length === 0) e.push(fieldError.required(child(p, 'monitors')));
    required('image')(s, p, e);
  }],
  ['quobyte', 'quobyte', required('registry', 'volume')],
  ['cephfs', 'cephfs', (s, p, e) => { if ((getStringArray(s, 'monitors', p, e) ?? []).length === 0) e.push(fieldError.required(child(p, 'monitors'))); }],
  ['iscsi', 'iscsi', required('targetPortal', 'iqn')],
  ['cinder', 'cinder', required('volumeID')],
  ['fc', 'fc', undefined],
  ['flexVolume', 'flexVolume', required('driver')],
  ['azureFile', 'azureFile', required('secretName', 'shareName')],
  ['vsphereVolume', 'vsphereVolume', required('volumePath')],
  ['photonPersistentDisk', 'photonPersistentDisk', required('pdID')],
  ['portworxVolume', 'portworxVolume', required('volumeID')],
  ['azureDisk', 'azureDisk', required('diskName', 'diskURI')],
  ['scaleIO', 'scaleIO', required('gateway', 'system', 'volumeName')],
  ['local', 'local', (s, p, e) => {
    const lp = getString(s, 'path', p, e) ?? '';
    if (lp === '') { e.push(fieldError.required(child(p, 'path'))); return; }
    e.push(...validatePathNoBacksteps(lp, child(p, 'path')));
  }],
  ['storageos', 'storageos', required('volumeName')],
  ['csi', 'csi', (s, p, e) => {
    e.push(...validateCSIDriverName(getString(s, 'driver', p, e) ?? '', child(p, 'driver')));
    required('volumeHandle')(s, p, e);
    for (const k of ['controllerPublishSecretRef', 'controllerExpandSecretRef', 'nodePublishSecretRef', 'nodeExpandSecretRef', 'nodeStageSecretRef']) {
      secretRef(s, k, p, e);
    }
  }],
];

export const pvSourceKeys = pvSources.map(([k]) => k);

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (spec) {
    if (spec.persistentVolumeReclaimPolicy === undefined || spec.persistentVolumeReclaimPolicy === null || spec.persistentVolumeReclaimPolicy === '') {
      spec.persistentVolumeReclaimPolicy = 'Retain';
    }
    setDefault(spec, 'volumeMode', 'Filesystem');
    canonicalizeResourceList(spec.capacity);
    const hp = objAt(spec.hostPath);
    if (hp) setDefault(hp, 'type', '');
  }
  const status = field(obj, 'status');
  if (status && (status.phase === undefined || status.phase === null || status.phase === '')) status.phase = 'Pending';
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: false, name: nameIsDNSSubdomain });
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const modes = getStringArray(spec, 'accessModes', 'spec', errs) ?? [];
  if (modes.length === 0) errs.push(fieldError.required('spec.accessModes'));
  errs.push(...validateAccessModes(modes, 'spec.accessModes'));
  const capacity = readResourceList(spec.capacity, 'spec.capacity', errs);
  if (capacity.size === 0) errs.push(fieldError.required('spec.capacity'));
  if (!capacity.has('storage') || capacity.size > 1) errs.push(fieldError.notSupported('spec.capacity', spec.capacity ?? null, ['storage']));
  for (const [name, q] of capacity) {
    const p = key('spec.capacity', name);
    if (q.mantissa < 0n) errs.push(fieldError.invalid(p, quantityString(q), 'must be a valid resource quantity'));
    errs.push(...validatePositiveQuantity(q, p));
  }
  const rp = getString(spec, 'persistentVolumeReclaimPolicy', 'spec', errs) ?? '';
  if (rp.length > 0 && !reclaimPolicies.includes(rp)) errs.push(fieldError.notSupported('spec.persistentVolumeReclaimPolicy', rp, reclaimPolicies));
  let affinitySet = false;
  const na = getObject(spec, 'nodeAffinity', 'spec', errs);
  if (na) {
    affinitySet = true;
    const req = getObject(na, 'required', 'spec.nodeAffinity', errs);
    if (req) validateNodeSelector(req, 'spec.nodeAffinity.required', errs);
    else errs.push(fieldError.required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  let n = 0;
  for (const [k, checkPath, check] of pvSources) {
    const v = spec[k];
    if (v === undefined || v === null) continue;
    if (!isObj(v)) { errs.push(typeInvalid(child('spec', k), v, 'object')); continue; }
    if (n > 0 && k !== 'flexVolume') { errs.push(fieldError.forbidden(child('spec', k), 'may not specify more than 1 volume type')); continue; }
    n++;
    check?.(v, child('spec', checkPath), errs);
    if (k === 'local' && !affinitySet) errs.push(fieldError.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (n === 0) errs.push(fieldError.required('spec', 'must specify a volume type'));
  const hp = objAt(spec.hostPath);
  if (hp && typeof hp.path === 'string' && hp.path.replace(/\/+$/, '') === '' && hp.path.startsWith('/') && rp === 'Recycle') {
    errs.push(fieldError.forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  const scn = getString(spec, 'storageClassName', 'spec', errs) ?? '';
  if (scn.length > 0) for (const m of nameIsDNSSubdomain(scn, false)) errs.push(fieldError.invalid('spec.storageClassName', scn, m));
  const vm = getString(spec, 'volumeMode', 'spec', errs);
  if (vm !== undefined && !supportedVolumeModes.includes(vm)) errs.push(fieldError.notSupported('spec.volumeMode', vm, supportedVolumeModes));
  const vac = getString(spec, 'volumeAttributesClassName', 'spec', errs);
  if (vac !== undefined) {
    if (vac.length === 0) errs.push(fieldError.required('spec.volumeAttributesClassName', 'an empty string is disallowed'));
    else for (const m of nameIsDNSSubdomain(vac, false)) errs.push(fieldError.invalid('spec.volumeAttributesClassName', vac, m));
    if (spec.csi === undefined || spec.csi === null) errs.push(fieldError.required('spec.csi', 'has to be specified when using volumeAttributesClassName'));
  }
  return errs;
}

function sourceOf(spec: Obj): Obj {
  const out: Obj = {};
  for (const k of pvSourceKeys) if (spec[k] !== undefined && spec[k] !== null) out[k] = deepClone(spec[k]);
  return out;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const spec = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
  const oldSpec = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
  const src = sourceOf(spec), oldSrc = sourceOf(oldSpec);
  // A CSI volume may gain a controllerExpandSecretRef.
  const csi = objAt(src.csi), oldCsi = objAt(oldSrc.csi);
  if (csi && oldCsi && (oldCsi.controllerExpandSecretRef === undefined || oldCsi.controllerExpandSecretRef === null)) delete csi.controllerExpandSecretRef;
  if (!semanticEqual(src, oldSrc)) {
    errs.push(fieldError.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation\n${jsonDiff(oldSrc, src, 'spec').join('\n')}`));
  }
  errs.push(...validateImmutableField(spec.volumeMode, oldSpec.volumeMode, 'volumeMode'));
  if (oldSpec.nodeAffinity !== undefined && oldSpec.nodeAffinity !== null && !semanticEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) {
    errs.push(fieldError.invalid('nodeAffinity', spec.nodeAffinity ?? null, 'field is immutable, except for updating from beta label to GA'));
  }
  if (oldSpec.volumeAttributesClassName !== undefined && oldSpec.volumeAttributesClassName !== null &&
    (spec.volumeAttributesClassName === undefined || spec.volumeAttributesClassName === null)) {
    errs.push(fieldError.forbidden('spec.volumeAttributesClassName', 'update from non-nil value to nil is forbidden'));
  }
  return errs;
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const pvStrategy: Strategy = {
  defaults,
  prepareForCreate(obj) { obj.status = { phase: 'Pending', lastPhaseTransitionTime: nowTimestamp() }; },
  prepareForUpdate: keepStatus,
  validate,
  validateUpdate,
};
