// Defaults the API server fills into pod specs (SetDefaults_PodSpec and the
// per-container, per-volume and per-probe defaulters), for pods and for every
// pod template (Deployments, Jobs, ...). Pods get a few more (SetDefaults_Pod).
// Shapes that are not what the API expects are left alone for validation to report.

import { ensureObj, isObj, objAt, objsAt, setDefault, setDefaultStr, strAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { canonicalQuantity } from '../../api/validation/quantity.ts';

/**
 * The tag the kubelet would pull for an image reference: "latest" when neither
 * tag nor digest is given, "" when the reference does not parse.
 */
export function imageTag(image: string): string {
  const ref = image.trim() === image ? image : '';
  if (ref === '') return '';
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : '';
  if (at >= 0 && !/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(digest)) return '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  let repo = name, tag = '';
  if (colon > slash) {
    repo = name.slice(0, colon);
    tag = name.slice(colon + 1);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return '';
  }
  // The path (after an optional domain) must be lower case.
  const parts = repo.split('/');
  const first = parts[0] as string;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first));
  const pathParts = hasDomain ? parts.slice(1) : parts;
  if (pathParts.length === 0 || pathParts.some((p) => !/^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/.test(p))) return '';
  if (tag === '' && digest === '') return 'latest';
  return tag;
}

export function defaultPullPolicy(image: unknown): string {
  return typeof image === 'string' && imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Canonical quantities in a resource list; with milli=true values are rounded up to 1m. */
export function canonicalizeResourceList(list: unknown, milli = true): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) list[k] = canonicalQuantity(v, milli);
}

function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  setDefaultStr(h, 'path', '/');
  setDefaultStr(h, 'scheme', 'HTTP');
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (p[k] === undefined || p[k] === null || p[k] === 0) p[k] = v;
  }
  defaultHTTPGet(p.httpGet);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefaultStr(ref, 'apiVersion', 'v1');
}

/** SetDefaults_Container and the defaulters of its parts. */
export function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = defaultPullPolicy(c.image);
  }
  setDefaultStr(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultStr(c, 'terminationMessagePolicy', 'File');
  for (const port of objsAt(c.ports)) setDefaultStr(port, 'protocol', 'TCP');
  for (const env of objsAt(c.env)) {
    const vf = objAt(env.valueFrom);
    if (vf) defaultFieldRef(vf.fieldRef);
  }
  const res = ensureObj(c, 'resources');
  if (res) {
    canonicalizeResourceList(res.limits);
    canonicalizeResourceList(res.requests);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lc = objAt(c.lifecycle);
  if (lc) {
    for (const hook of [lc.postStart, lc.preStop]) if (isObj(hook)) defaultHTTPGet(hook.httpGet);
  }
}

const volumeSourceKeys = ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile',
  'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image'];

/** 0644: the mode of files projected from secrets, config maps and the downward API. */
const defaultFileMode = 0o644;

/** SetDefaults_Volume and the defaulters of the volume sources. */
export function defaultVolume(v: Obj): void {
  if (volumeSourceKeys.every((k) => v[k] === undefined || v[k] === null)) v.emptyDir = {};
  const hp = objAt(v.hostPath);
  if (hp) setDefault(hp, 'type', '');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = objAt(v[k]);
    if (src) setDefault(src, 'defaultMode', defaultFileMode);
  }
  const dapi = objAt(v.downwardAPI);
  if (dapi) for (const item of objsAt(dapi.items)) defaultFieldRef(item.fieldRef);
  const proj = objAt(v.projected);
  if (proj) {
    for (const s of objsAt(proj.sources)) {
      const d = objAt(s.downwardAPI);
      if (d) for (const item of objsAt(d.items)) defaultFieldRef(item.fieldRef);
      const sat = objAt(s.serviceAccountToken);
      if (sat) setDefault(sat, 'expirationSeconds', 3600);
    }
  }
  const iscsi = objAt(v.iscsi);
  if (iscsi) setDefaultStr(iscsi, 'iscsiInterface', 'default');
  const rbd = objAt(v.rbd);
  if (rbd) {
    setDefaultStr(rbd, 'pool', 'rbd');
    setDefaultStr(rbd, 'user', 'admin');
    setDefaultStr(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const azureDisk = objAt(v.azureDisk);
  if (azureDisk) {
    setDefault(azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(azureDisk, 'fsType', 'ext4');
    setDefault(azureDisk, 'readOnly', false);
    setDefault(azureDisk, 'kind', 'Shared');
  }
  const scaleIO = objAt(v.scaleIO);
  if (scaleIO) {
    setDefaultStr(scaleIO, 'storageMode', 'ThinProvisioned');
    setDefaultStr(scaleIO, 'fsType', 'xfs');
  }
  const emptyDir = objAt(v.emptyDir);
  if (emptyDir && emptyDir.sizeLimit !== undefined) emptyDir.sizeLimit = canonicalQuantity(emptyDir.sizeLimit);
  const eph = objAt(v.ephemeral);
  const tmpl = eph ? objAt(eph.volumeClaimTemplate) : undefined;
  const tspec = tmpl ? objAt(tmpl.spec) : undefined;
  if (tspec) defaultPVCSpec(tspec);
  const image = objAt(v.image);
  if (image && (image.pullPolicy === undefined || image.pullPolicy === null || image.pullPolicy === '')) {
    image.pullPolicy = defaultPullPolicy(image.reference);
  }
}

/** SetDefaults_PersistentVolumeClaimSpec plus canonical quantities. */
export function defaultPVCSpec(spec: Obj): void {
  setDefault(spec, 'volumeMode', 'Filesystem');
  const res = objAt(spec.resources);
  if (res) {
    canonicalizeResourceList(res.limits);
    canonicalizeResourceList(res.requests);
  }
}

/** SetDefaults_PodSpec and everything nested in a pod spec (templates and pods alike). */
export function defaultPodSpec(spec: Obj): void {
  setDefaultStr(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultStr(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultStr(spec, 'schedulerName', 'default-scheduler');
  // v1 keeps the deprecated serviceAccount field in step with serviceAccountName.
  const sa = strAt(spec.serviceAccountName) ?? '';
  const legacy = strAt(spec.serviceAccount) ?? '';
  if (sa === '' && legacy !== '') spec.serviceAccountName = legacy;
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') spec.serviceAccount = spec.serviceAccountName;
  for (const v of objsAt(spec.volumes)) defaultVolume(v);
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objsAt(spec[k])) defaultContainer(c);
  }
  const overhead = objAt(spec.overhead);
  if (overhead) canonicalizeResourceList(overhead);
  const podRes = objAt(spec.resources);
  if (podRes) {
    canonicalizeResourceList(podRes.limits);
    canonicalizeResourceList(podRes.requests);
  }
}

/** SetDefaults_Pod (only for Pod objects): requests from limits, service links, host ports. */
export function defaultPodOnlySpec(spec: Obj): void {
  for (const k of ['containers', 'initContainers']) {
    for (const c of objsAt(spec[k])) {
      const res = objAt(c.resources);
      const limits = res ? objAt(res.limits) : undefined;
      if (!res || !limits) continue;
      const requests = ensureObj(res, 'requests');
      if (!requests) continue;
      for (const [name, q] of Object.entries(limits)) if (!Object.hasOwn(requests, name)) requests[name] = q;
    }
  }
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const k of ['containers', 'initContainers']) {
      for (const c of objsAt(spec[k])) {
        for (const p of objsAt(c.ports)) {
          if (p.hostPort === undefined || p.hostPort === null || p.hostPort === 0) p.hostPort = p.containerPort;
        }
      }
    }
  }
}

/** Defaults of a PodTemplateSpec (`template` of workloads): metadata object and spec. */
export function defaultPodTemplate(template: unknown): void {
  if (!isObj(template)) return;
  setDefault(template, 'metadata', {});
  const spec = ensureObj(template, 'spec');
  if (spec) defaultPodSpec(spec);
}

