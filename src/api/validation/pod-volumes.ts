// Volumes of a pod spec: names, exactly one source each, and the checks of the
// commonly used sources (emptyDir, hostPath, secret, configMap, PVC, projected,
// downwardAPI, NFS, CSI, ephemeral, image); legacy sources get their required fields.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getBool, getInt, getObject, getObjectList, getString, getStringArray, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { validateLabelSelector } from './labelselector.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './names.ts';
import { validateTemplateObjectMeta } from './objectmeta.ts';
import { parseQuantityAt } from './resources.ts';
import { validatePersistentVolumeClaimSpec } from './pvc-spec.ts';

const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];

// ---- paths ----------------------------------------------------------------------

function isAbsPath(p: string): boolean {
  return p.startsWith('/');
}

export function validatePathNoBacksteps(target: string, path: string): FieldError[] {
  return target.replace(/\\/g, '/').split('/').includes('..') ? [fieldError.invalid(path, target, "must not contain '..'")] : [];
}

/** Relative and without "..": a path under a volume. */
export function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isAbsPath(target)) errs.push(fieldError.invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

/** The same, and not starting with ".." either. */
export function validateLocalNonReservedPath(target: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(fieldError.invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateMode(o: Obj, k: string, base: string, errs: FieldError[]): void {
  const mode = getInt(o, k, base, errs);
  if (mode !== undefined && (mode > 0o777 || mode < 0)) errs.push(fieldError.invalid(child(base, k), mode, fileModeErrorMsg));
}

function validateKeyToPath(kp: Obj, path: string, errs: FieldError[]): void {
  const k = getString(kp, 'key', path, errs) ?? '';
  const p = getString(kp, 'path', path, errs) ?? '';
  if (k.length === 0) errs.push(fieldError.required(child(path, 'key')));
  if (p.length === 0) errs.push(fieldError.required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(p, child(path, 'path')));
  validateMode(kp, 'mode', path, errs);
}

// ---- downward API ----------------------------------------------------------------

const downwardAPIFieldLabels = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName',
  'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

export const volumeFieldPathExpressions = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
export const envFieldPathExpressions = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName',
  'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
export const containerResourceFieldExpressions = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory',
  'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

/** `metadata.labels['key']` → ['metadata.labels', 'key']. */
function splitSubscript(p: string): [string, string] | undefined {
  if (!p.endsWith("']")) return undefined;
  const open = p.indexOf("['");
  if (open < 0) return undefined;
  return [p.slice(0, open), p.slice(open + 2, -2)];
}

/** An ObjectFieldSelector (fieldRef): apiVersion v1 and a supported path. */
export function validateObjectFieldSelector(fs: Obj, expressions: string[], path: string, errs: FieldError[]): void {
  const apiVersion = getString(fs, 'apiVersion', path, errs) ?? '';
  const fieldPath = getString(fs, 'fieldPath', path, errs) ?? '';
  if (apiVersion.length === 0) { errs.push(fieldError.required(child(path, 'apiVersion'))); return; }
  if (fieldPath.length === 0) { errs.push(fieldError.required(child(path, 'fieldPath'))); return; }
  const sub = splitSubscript(fieldPath);
  let convErr: string | undefined;
  if (apiVersion !== 'v1') convErr = `unsupported pod version: ${apiVersion}`;
  else if (!sub && !downwardAPIFieldLabels.has(fieldPath)) convErr = `field label not supported: ${fieldPath}`;
  if (convErr) {
    errs.push(fieldError.invalid(child(path, 'fieldPath'), fieldPath, `error converting fieldPath: ${convErr}`));
    return;
  }
  if (sub) {
    const [base, k] = sub;
    if (base === 'metadata.annotations') for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldError.invalid(path, k.toLowerCase(), m));
    else if (base === 'metadata.labels') for (const m of isQualifiedName(k)) errs.push(fieldError.invalid(path, k, m));
    else errs.push(fieldError.invalid(path, base, 'does not support subscript'));
  } else if (!expressions.includes(fieldPath)) {
    errs.push(fieldError.notSupported(child(path, 'fieldPath'), fieldPath, [...expressions].sort()));
  }
}

const cpuDivisors = ['1m', '1'];
const byteDivisors = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

/** A ResourceFieldSelector (resourceFieldRef) in env vars or downward API volumes. */
export function validateResourceFieldSelector(fs: Obj, path: string, volume: boolean, errs: FieldError[]): void {
  const containerName = getString(fs, 'containerName', path, errs) ?? '';
  const resource = getString(fs, 'resource', path, errs) ?? '';
  if (volume && containerName.length === 0) {
    errs.push(fieldError.required(child(path, 'containerName')));
  } else if (resource.length === 0) {
    errs.push(fieldError.required(child(path, 'resource')));
  } else if (!containerResourceFieldExpressions.includes(resource) &&
    !resource.startsWith('requests.hugepages-') && !resource.startsWith('limits.hugepages-')) {
    errs.push(fieldError.notSupported(child(path, 'resource'), resource, containerResourceFieldExpressions));
  }
  const divisor = fs.divisor;
  if (divisor === undefined || divisor === null || divisor === '0' || divisor === 0) return;
  const q = parseQuantityAt(divisor, child(path, 'divisor'), errs);
  if (!q) return;
  const d = typeof divisor === 'number' ? String(divisor) : divisor as string;
  if (resource === 'limits.cpu' || resource === 'requests.cpu') {
    if (!cpuDivisors.includes(d)) errs.push(fieldError.invalid(child(path, 'divisor'), resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
  } else if (resource === 'limits.memory' || resource === 'requests.memory') {
    if (!byteDivisors.includes(d)) errs.push(fieldError.invalid(child(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"));
  } else if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') {
    if (!byteDivisors.includes(d)) errs.push(fieldError.invalid(child(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"));
  }
}

function validateDownwardAPIFile(file: Obj, path: string, errs: FieldError[]): void {
  const p = getString(file, 'path', path, errs) ?? '';
  if (p.length === 0) errs.push(fieldError.required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(p, child(path, 'path')));
  const fieldRef = getObject(file, 'fieldRef', path, errs);
  const resRef = getObject(file, 'resourceFieldRef', path, errs);
  if (fieldRef) {
    validateObjectFieldSelector(fieldRef, volumeFieldPathExpressions, child(path, 'fieldRef'), errs);
    if (resRef) errs.push(fieldError.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (resRef) {
    validateResourceFieldSelector(resRef, child(path, 'resourceFieldRef'), true, errs);
  } else {
    errs.push(fieldError.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  validateMode(file, 'mode', path, errs);
}

// ---- sources ---------------------------------------------------------------------

type SourceCheck = (src: Obj, path: string, errs: FieldError[], ctx: VolumeContext) => void;

interface VolumeContext { volName: string; podName: string | undefined }

function requireStrings(...fields: string[]): SourceCheck {
  return (src, path, errs) => {
    for (const f of fields) if ((getString(src, f, path, errs) ?? '').length === 0) errs.push(fieldError.required(child(path, f)));
  };
}

function validateHostPath(src: Obj, path: string, errs: FieldError[]): void {
  const p = getString(src, 'path', path, errs) ?? '';
  if (p.length === 0) { errs.push(fieldError.required(child(path, 'path'))); return; }
  errs.push(...validatePathNoBacksteps(p, child(path, 'path')));
  const t = getString(src, 'type', path, errs);
  const types = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
  if (t !== undefined && !types.includes(t)) errs.push(fieldError.notSupported(child(path, 'type'), t, types));
}

function validateSecretSource(src: Obj, path: string, errs: FieldError[]): void {
  if ((getString(src, 'secretName', path, errs) ?? '').length === 0) errs.push(fieldError.required(child(path, 'secretName')));
  validateMode(src, 'defaultMode', path, errs);
  for (const { item, path: p } of getObjectList(src, 'items', path, errs)) validateKeyToPath(item, p, errs);
  getBool(src, 'optional', path, errs);
}

function validateConfigMapSource(src: Obj, path: string, errs: FieldError[]): void {
  if ((getString(src, 'name', path, errs) ?? '').length === 0) errs.push(fieldError.required(child(path, 'name')));
  validateMode(src, 'defaultMode', path, errs);
  for (const { item, path: p } of getObjectList(src, 'items', path, errs)) validateKeyToPath(item, p, errs);
  getBool(src, 'optional', path, errs);
}

function validateNFS(src: Obj, path: string, errs: FieldError[]): void {
  const server = getString(src, 'server', path, errs) ?? '';
  const p = getString(src, 'path', path, errs) ?? '';
  if (server.length === 0) errs.push(fieldError.required(child(path, 'server')));
  if (p.length === 0) errs.push(fieldError.required(child(path, 'path')));
  if (!isAbsPath(p)) errs.push(fieldError.invalid(child(path, 'path'), p, 'must be an absolute path'));
}

export function validateCSIDriverName(driver: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (driver.length === 0) errs.push(fieldError.required(path));
  if (driver.length > 63) errs.push(fieldError.tooLong(path, '', 63));
  for (const msg of isDNS1123Subdomain(driver.toLowerCase())) errs.push(fieldError.invalid(path, driver, msg));
  return errs;
}

function validateCSI(src: Obj, path: string, errs: FieldError[]): void {
  errs.push(...validateCSIDriverName(getString(src, 'driver', path, errs) ?? '', child(path, 'driver')));
  const ref = getObject(src, 'nodePublishSecretRef', path, errs);
  if (ref) {
    const name = getString(ref, 'name', child(path, 'nodePublishSecretRef'), errs) ?? '';
    if (name.length === 0) errs.push(fieldError.required(child(path, 'nodePublishSecretRef', 'name')));
    else for (const msg of nameIsDNSSubdomain(name, false)) errs.push(fieldError.invalid(child(path, 'name'), name, msg));
  }
}

function validateDownwardAPISource(src: Obj, path: string, errs: FieldError[]): void {
  validateMode(src, 'defaultMode', path, errs);
  // Upstream reports item problems against the volume source path itself.
  for (const { item } of getObjectList(src, 'items', path, errs)) validateDownwardAPIFile(item, path, errs);
}

function validateProjected(src: Obj, path: string, errs: FieldError[]): void {
  validateMode(src, 'defaultMode', path, errs);
  const seen = new Set<string>();
  const notePath = (p: string, conflictValue: string): void => {
    if (p.length === 0) return;
    if (seen.has(p)) errs.push(fieldError.invalid(path, conflictValue, 'conflicting duplicate paths'));
    seen.add(p);
  };
  for (const { item: s, path: sp } of getObjectList(src, 'sources', path, errs)) {
    let n = 0;
    const secret = getObject(s, 'secret', sp, errs);
    if (secret) {
      n++;
      const pp = child(sp, 'secret');
      const name = getString(secret, 'name', pp, errs) ?? '';
      if (name.length === 0) errs.push(fieldError.required(child(pp, 'name')));
      for (const { item, path: ip } of getObjectList(secret, 'items', pp, errs)) {
        validateKeyToPath(item, ip, errs);
        notePath(typeof item.path === 'string' ? item.path : '', name);
      }
    }
    const cm = getObject(s, 'configMap', sp, errs);
    if (cm) {
      n++;
      const pp = child(sp, 'configMap');
      const name = getString(cm, 'name', pp, errs) ?? '';
      if (name.length === 0) errs.push(fieldError.required(child(pp, 'name')));
      for (const { item, path: ip } of getObjectList(cm, 'items', pp, errs)) {
        validateKeyToPath(item, ip, errs);
        notePath(typeof item.path === 'string' ? item.path : '', name);
      }
    }
    const dapi = getObject(s, 'downwardAPI', sp, errs);
    if (dapi) {
      n++;
      const pp = child(sp, 'downwardAPI');
      for (const { item } of getObjectList(dapi, 'items', pp, errs)) {
        validateDownwardAPIFile(item, pp, errs);
        const fp = typeof item.path === 'string' ? item.path : '';
        notePath(fp, fp);
      }
    }
    const sat = getObject(s, 'serviceAccountToken', sp, errs);
    if (sat) {
      n++;
      const pp = child(sp, 'serviceAccountToken');
      const exp = getInt(sat, 'expirationSeconds', pp, errs) ?? 0;
      if (exp < 600) errs.push(fieldError.invalid(child(pp, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(fieldError.invalid(child(pp, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      const tp = getString(sat, 'path', pp, errs) ?? '';
      if (tp === '') errs.push(fieldError.required(child(path, 'path')));
      else errs.push(...validateLocalNonReservedPath(tp, child(path, 'path')));
    }
    const ctb = getObject(s, 'clusterTrustBundle', sp, errs);
    if (ctb) {
      n++;
      const pp = child(sp, 'clusterTrustBundle');
      const name = getString(ctb, 'name', pp, errs);
      const signer = getString(ctb, 'signerName', pp, errs);
      if (name !== undefined && signer !== undefined) errs.push(fieldError.invalid(pp, ctb, 'only one of name and signerName may be used'));
      else if (name !== undefined) {
        if (name === '') errs.push(fieldError.required(child(pp, 'name'), 'must be a valid object name'));
        if (ctb.labelSelector !== undefined && ctb.labelSelector !== null) {
          errs.push(fieldError.invalid(child(pp, 'labelSelector'), ctb.labelSelector, 'labelSelector must be unset if name is specified'));
        }
      } else if (signer !== undefined) {
        if (signer === '') errs.push(fieldError.required(child(pp, 'signerName'), 'must be a valid signer name'));
        errs.push(...validateLabelSelector(ctb.labelSelector, child(pp, 'labelSelector')));
      } else {
        errs.push(fieldError.required(pp, 'either name or signerName must be specified'));
      }
      const p = getString(ctb, 'path', pp, errs) ?? '';
      if (p === '') errs.push(fieldError.required(child(pp, 'path')));
      errs.push(...validateLocalNonReservedPath(p, child(pp, 'path')));
      notePath(p, p);
    }
    const pc = getObject(s, 'podCertificate', sp, errs);
    if (pc) n++;
    if (n > 1) errs.push(fieldError.forbidden(sp, 'may not specify more than 1 volume type per source'));
  }
}

function validateEphemeral(src: Obj, path: string, errs: FieldError[], ctx: VolumeContext): void {
  const tmpl = getObject(src, 'volumeClaimTemplate', path, errs);
  if (!tmpl) {
    errs.push(fieldError.required(child(path, 'volumeClaimTemplate')));
  } else {
    const tp = child(path, 'volumeClaimTemplate');
    errs.push(...validateTemplateObjectMeta(tmpl.metadata, child(tp, 'metadata')));
    errs.push(...validatePersistentVolumeClaimSpec(tmpl.spec, child(tp, 'spec')));
  }
  if (ctx.podName && ctx.volName) {
    const pvcName = `${ctx.podName}-${ctx.volName}`;
    for (const msg of isDNS1123Subdomain(pvcName)) {
      errs.push(fieldError.invalid(child(path, 'name'), ctx.volName, `PVC name ${JSON.stringify(pvcName)}: ${msg}`));
    }
  }
}

function validateImageSource(src: Obj, path: string, errs: FieldError[], ctx: VolumeContext & { isPod?: boolean }): void {
  const ref = getString(src, 'reference', path, errs) ?? '';
  if (ctx.isPod && ref.length === 0) errs.push(fieldError.required(child(path, 'reference')));
  const pp = getString(src, 'pullPolicy', path, errs) ?? '';
  if (pp === '') errs.push(fieldError.required(child(path, 'pullPolicy')));
  else if (!pullPolicies.includes(pp)) errs.push(fieldError.notSupported(child(path, 'pullPolicy'), pp, pullPolicies));
}

function validateEmptyDir(src: Obj, path: string, errs: FieldError[]): void {
  const medium = getString(src, 'medium', path, errs);
  void medium;
  if (src.sizeLimit !== undefined && src.sizeLimit !== null) {
    const q = parseQuantityAt(src.sizeLimit, child(path, 'sizeLimit'), errs);
    if (q && q.mantissa < 0n) errs.push(fieldError.forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
  }
}

function validatePVCSource(src: Obj, path: string, errs: FieldError[]): void {
  if ((getString(src, 'claimName', path, errs) ?? '').length === 0) errs.push(fieldError.required(child(path, 'claimName')));
  getBool(src, 'readOnly', path, errs);
}

function validateISCSI(src: Obj, path: string, errs: FieldError[]): void {
  requireStrings('targetPortal', 'iqn')(src, path, errs, { volName: '', podName: undefined });
  const lun = getInt(src, 'lun', path, errs) ?? 0;
  if (lun < 0 || lun > 255) errs.push(fieldError.invalid(child(path, 'lun'), lun, 'must be between 0 and 255, inclusive'));
}

function validateGitRepo(src: Obj, path: string, errs: FieldError[]): void {
  if ((getString(src, 'repository', path, errs) ?? '').length === 0) errs.push(fieldError.required(child(path, 'repository')));
  errs.push(...validateLocalDescendingPath(getString(src, 'directory', path, errs) ?? '', child(path, 'directory')));
}

/** [JSON key, path used in "more than 1 volume type", path used for its own checks, check]. */
const volumeSources: Array<[string, string, string, SourceCheck | undefined]> = [
  ['emptyDir', 'emptyDir', 'emptyDir', validateEmptyDir],
  ['hostPath', 'hostPath', 'hostPath', validateHostPath],
  ['gitRepo', 'gitRepo', 'gitRepo', validateGitRepo],
  ['gcePersistentDisk', 'gcePersistentDisk', 'persistentDisk', requireStrings('pdName')],
  ['awsElasticBlockStore', 'awsElasticBlockStore', 'awsElasticBlockStore', requireStrings('volumeID')],
  ['secret', 'secret', 'secret', validateSecretSource],
  ['nfs', 'nfs', 'nfs', validateNFS],
  ['iscsi', 'iscsi', 'iscsi', validateISCSI],
  ['glusterfs', 'glusterfs', 'glusterfs', (s, p, e) => { requireStrings('path')(s, p, e, { volName: '', podName: undefined }); if ((getString(s, 'endpoints', p, e) ?? '') === '') e.push(fieldError.required(child(p, 'endpoints'))); }],
  ['flocker', 'flocker', 'flocker', undefined],
  ['persistentVolumeClaim', 'persistentVolumeClaim', 'persistentVolumeClaim', validatePVCSource],
  ['rbd', 'rbd', 'rbd', (s, p, e) => {
    if ((getStringArray(s, 'monitors', p, e) ?? []).length === 0) e.push(fieldError.required(child(p, 'monitors')));
    if ((getString(s, 'image', p, e) ?? '') === '') e.push(fieldError.required(child(p, 'image')));
  }],
  ['cinder', 'cinder', 'cinder', requireStrings('volumeID')],
  ['cephfs', 'cephFS', 'cephfs', (s, p, e) => { if ((getStringArray(s, 'monitors', p, e) ?? []).length === 0) e.push(fieldError.required(child(p, 'monitors'))); }],
  ['quobyte', 'quobyte', 'quobyte', requireStrings('registry', 'volume')],
  ['downwardAPI', 'downwarAPI', 'downwardAPI', validateDownwardAPISource],
  ['fc', 'fc', 'fc', undefined],
  ['flexVolume', 'flexVolume', 'flexVolume', requireStrings('driver')],
  ['configMap', 'configMap', 'configMap', validateConfigMapSource],
  ['azureFile', 'azureFile', 'azureFile', requireStrings('secretName', 'shareName')],
  ['vsphereVolume', 'vsphereVolume', 'vsphereVolume', requireStrings('volumePath')],
  ['photonPersistentDisk', 'photonPersistentDisk', 'photonPersistentDisk', requireStrings('pdID')],
  ['portworxVolume', 'portworxVolume', 'portworxVolume', requireStrings('volumeID')],
  ['azureDisk', 'azureDisk', 'azureDisk', requireStrings('diskName', 'diskURI')],
  ['storageos', 'storageos', 'storageos', requireStrings('volumeName')],
  ['projected', 'projected', 'projected', validateProjected],
  ['scaleIO', 'scaleIO', 'scaleIO', requireStrings('gateway', 'system', 'volumeName')],
  ['csi', 'csi', 'csi', validateCSI],
  ['ephemeral', 'ephemeral', 'ephemeral', validateEphemeral],
  ['image', 'image', 'image', validateImageSource as SourceCheck],
];

/** What each named volume is: its source key, and whether it is PVC-backed. */
export interface VolumeInfo { source: string; isPVC: boolean }

/**
 * Validate spec.volumes; returns the valid volumes by name (for matching mounts).
 * `podName` is the pod's name when validating a pod (ephemeral PVC names derive from it).
 */
export function validateVolumes(list: unknown, path: string, podName: string | undefined, isPod: boolean, errs: FieldError[]): Map<string, VolumeInfo> {
  const vols = new Map<string, VolumeInfo>();
  const arr = list === undefined || list === null ? [] : Array.isArray(list) ? list : undefined;
  if (!arr) {
    errs.push(typeInvalid(path, list, 'array'));
    return vols;
  }
  const createdPVCs = new Set<string>();
  if (podName) {
    for (const v of arr) if (isObj(v) && isObj(v.ephemeral) && typeof v.name === 'string') createdPVCs.add(`${podName}-${v.name}`);
  }
  const names = new Set<string>();
  arr.forEach((vol, i) => {
    const p = index(path, i);
    if (!isObj(vol)) {
      errs.push(typeInvalid(p, vol, 'object'));
      return;
    }
    const el: FieldError[] = [];
    const name = getString(vol, 'name', p, el) ?? '';
    let n = 0;
    let source = '';
    for (const [k, forbidName, checkName, check] of volumeSources) {
      const v = vol[k];
      if (v === undefined || v === null) continue;
      if (!isObj(v)) {
        el.push(typeInvalid(child(p, k), v, 'object'));
        continue;
      }
      if (n > 0) {
        el.push(fieldError.forbidden(child(p, forbidName), 'may not specify more than 1 volume type'));
        continue;
      }
      n++;
      source = k;
      check?.(v, child(p, checkName), el, { volName: name, podName, isPod } as VolumeContext);
    }
    if (n === 0) el.push(fieldError.required(p, 'must specify a volume type'));
    const namePath = child(p, 'name');
    if (name.length === 0) el.push(fieldError.required(namePath));
    else for (const msg of isDNS1123Label(name)) el.push(fieldError.invalid(namePath, name, msg));
    if (names.has(name)) el.push(fieldError.duplicate(namePath, name));
    if (el.length === 0) {
      names.add(name);
      vols.set(name, { source, isPVC: source === 'persistentVolumeClaim' || source === 'ephemeral' });
    } else {
      errs.push(...el);
    }
    const pvc = isObj(vol.persistentVolumeClaim) ? vol.persistentVolumeClaim : undefined;
    if (pvc && typeof pvc.claimName === 'string' && createdPVCs.has(pvc.claimName)) {
      errs.push(fieldError.invalid(child(p, 'persistentVolumeClaim', 'claimName'), pvc.claimName,
        'must not reference a PVC that gets created for an ephemeral volume'));
    }
  });
  return vols;
}

