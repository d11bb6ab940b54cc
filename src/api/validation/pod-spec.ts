// PodSpec and PodTemplateSpec validation (ValidatePodSpec, ValidatePodTemplateSpec).

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getBool, getInt, getObject, getObjectList, getString, getStringArray, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { validateIP } from './ip.ts';
import {
  inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isDNS1123SubdomainWithUnderscore, isQualifiedName,
  isValidGroupID, isValidUserID, nameIsDNSSubdomain,
} from './names.ts';
import { validateAnnotations, validateLabels } from './objectmeta.ts';
import type { ContainerContext } from './pod-containers.ts';
import {
  validateAppArmorProfile, validateContainers, validateEphemeralContainers, validateImageWhitespace, validateInitContainers,
  validateSeccompProfile,
} from './pod-containers.ts';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './pod-scheduling.ts';
import { validateVolumes } from './pod-volumes.ts';
import { validatePodResourceName, validateResourceRequirements } from './resources.ts';


export const restartPolicies = ['Always', 'OnFailure', 'Never'];
export const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

export interface PodSpecOptions {
  /** The spec belongs to a Pod (not a template): stricter host port and image checks. */
  isPod: boolean;
  /** The pod's name, for the names of PVCs created for ephemeral volumes. */
  podName?: string;
}

const sysctlSegmentFmt = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const sysctlFmt = `(${sysctlSegmentFmt}[\\./])*${sysctlSegmentFmt}`;
const sysctlRe = new RegExp(`^${sysctlFmt}$`);

function validatePodSecurityContext(spec: Obj, specPath: string, errs: FieldError[]): void {
  const sc = getObject(spec, 'securityContext', specPath, errs);
  if (!sc) return;
  const p = child(specPath, 'securityContext');
  for (const f of ['fsGroup', 'runAsGroup']) {
    const v = getInt(sc, f, p, errs);
    if (v !== undefined) for (const m of isValidGroupID(v)) errs.push(fieldError.invalid(child(p, f), v, m));
  }
  const runAsUser = getInt(sc, 'runAsUser', p, errs);
  if (runAsUser !== undefined) for (const m of isValidUserID(runAsUser)) errs.push(fieldError.invalid(child(p, 'runAsUser'), runAsUser, m));
  const groups = Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups : [];
  groups.forEach((g, i) => {
    const gp = index(child(p, 'supplementalGroups'), i);
    if (typeof g !== 'number' || !Number.isInteger(g)) errs.push(typeInvalid(gp, g, 'integer'));
    else for (const m of isValidGroupID(g)) errs.push(fieldError.invalid(gp, g, m));
  });
  const share = spec.shareProcessNamespace;
  if (share === true && spec.hostPID === true) {
    errs.push(fieldError.invalid(child(p, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const sysctls = getObjectList(sc, 'sysctls', p, errs);
  const names = new Set<string>();
  for (const { item: s, path: sp } of sysctls) {
    const name = getString(s, 'name', sp, errs) ?? '';
    getString(s, 'value', sp, errs);
    const np = child(sp, 'name');
    if (name.length === 0) errs.push(fieldError.required(np));
    else if (name.length > 253 || !sysctlRe.test(name)) {
      errs.push(fieldError.invalid(np, name, `must have at most 253 characters and match regex ${sysctlFmt}`));
    } else if (names.has(name)) errs.push(fieldError.duplicate(np, name));
    const isNet = name.startsWith('net.') || name.startsWith('net/');
    const isIPC = name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name === 'kernel.sem' || name.startsWith('fs.mqueue.');
    if (spec.hostNetwork === true && isNet) errs.push(fieldError.invalid(np, name, "may not be specified when 'hostNetwork' is true"));
    if (spec.hostIPC === true && isIPC) errs.push(fieldError.invalid(np, name, "may not be specified when 'hostIPC' is true"));
    names.add(name);
  }
  const fsgcp = getString(sc, 'fsGroupChangePolicy', p, errs);
  if (fsgcp !== undefined && fsgcp !== 'OnRootMismatch' && fsgcp !== 'Always') {
    errs.push(fieldError.notSupported(child(p, 'fsGroupChangePolicy'), fsgcp, ['Always', 'OnRootMismatch']));
  }
  validateSeccompProfile(sc.seccompProfile, child(p, 'seccompProfile'), errs);
  validateAppArmorProfile(sc.appArmorProfile, child(p, 'appArmorProfile'), errs);
  const sgp = getString(sc, 'supplementalGroupsPolicy', p, errs);
  if (sgp !== undefined && sgp !== 'Merge' && sgp !== 'Strict') {
    errs.push(fieldError.notSupported(child(p, 'supplementalGroupsPolicy'), sgp, ['Merge', 'Strict']));
  }
  const selcp = getString(sc, 'seLinuxChangePolicy', p, errs);
  if (selcp !== undefined && selcp !== 'MountOption' && selcp !== 'Recursive') {
    errs.push(fieldError.notSupported(child(p, 'seLinuxChangePolicy'), selcp, ['MountOption', 'Recursive']));
  }
  getBool(sc, 'runAsNonRoot', p, errs);
}

function validateDNSConfig(spec: Obj, specPath: string, dnsPolicy: string, errs: FieldError[]): void {
  const p = child(specPath, 'dnsConfig');
  const cfg = getObject(spec, 'dnsConfig', specPath, errs);
  if (dnsPolicy === 'None') {
    if (!cfg) { errs.push(fieldError.required(p, 'must provide `dnsConfig` when `dnsPolicy` is None')); return; }
    const ns = Array.isArray(cfg.nameservers) ? cfg.nameservers : [];
    if (ns.length === 0) { errs.push(fieldError.required(child(p, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')); return; }
  }
  if (!cfg) return;
  const nameservers = getStringArray(cfg, 'nameservers', p, errs) ?? [];
  if (nameservers.length > 3) errs.push(fieldError.invalid(child(p, 'nameservers'), nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => errs.push(...validateIP(index(child(p, 'nameservers'), i), ns)));
  const searches = getStringArray(cfg, 'searches', p, errs) ?? [];
  if (searches.length > 32) errs.push(fieldError.invalid(child(p, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(fieldError.invalid(child(p, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    if (s === '.') return;
    const trimmed = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const m of isDNS1123SubdomainWithUnderscore(trimmed)) errs.push(fieldError.invalid(index(child(p, 'searches'), i), trimmed, m));
  });
  for (const { item: o, path: op } of getObjectList(cfg, 'options', p, errs)) {
    if ((getString(o, 'name', op, errs) ?? '').length === 0) errs.push(fieldError.required(op, 'must not be empty'));
    getString(o, 'value', op, errs);
  }
}

function validateOS(spec: Obj, specPath: string, errs: FieldError[]): void {
  const os = getObject(spec, 'os', specPath, errs);
  if (!os) return;
  const p = child(specPath, 'os');
  const name = getString(os, 'name', p, errs) ?? '';
  if (name.length === 0) { errs.push(fieldError.required(child(p, 'name'), 'cannot be empty')); return; }
  if (name !== 'linux' && name !== 'windows') { errs.push(fieldError.notSupported(p, name, ['linux', 'windows'])); return; }
  const sc = isObj(spec.securityContext) ? spec.securityContext : undefined;
  const containers: Array<{ c: Obj; p: string }> = [];
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) {
    (Array.isArray(spec[k]) ? spec[k] as unknown[] : []).forEach((c, i) => { if (isObj(c)) containers.push({ c, p: index(child(specPath, k), i) }); });
  }
  if (name === 'linux') {
    if (sc?.windowsOptions) errs.push(fieldError.forbidden(child(specPath, 'securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
    for (const { c, p: cp } of containers) {
      if (isObj(c.securityContext) && c.securityContext.windowsOptions) {
        errs.push(fieldError.forbidden(child(cp, 'securityContext', 'windowsOptions'), 'windows options cannot be set for a linux pod'));
      }
    }
    return;
  }
  const forbid = (path: string): void => { errs.push(fieldError.forbidden(path, 'cannot be set for a windows pod')); };
  if (sc) {
    const scp = child(specPath, 'securityContext');
    for (const f of ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'fsGroup', 'fsGroupChangePolicy', 'runAsUser', 'runAsGroup',
      'supplementalGroups', 'supplementalGroupsPolicy', 'seLinuxChangePolicy']) {
      if (sc[f] !== undefined && sc[f] !== null) forbid(child(scp, f));
    }
    if (Array.isArray(sc.sysctls) && sc.sysctls.length > 0) forbid(child(scp, 'sysctls'));
  }
  if (spec.hostUsers !== undefined && spec.hostUsers !== null) forbid(child(specPath, 'hostUsers'));
  if (spec.hostPID === true) forbid(child(specPath, 'hostPID'));
  if (spec.hostIPC === true) forbid(child(specPath, 'hostIPC'));
  if (spec.shareProcessNamespace !== undefined && spec.shareProcessNamespace !== null) forbid(child(specPath, 'shareProcessNamespace'));
  for (const { c, p: cp } of containers) {
    if (!isObj(c.securityContext)) continue;
    const csc = c.securityContext;
    for (const f of ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged',
      'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup']) {
      if (csc[f] !== undefined && csc[f] !== null) forbid(child(cp, 'securityContext', f));
    }
  }
}

function validateHostNetworkDeps(spec: Obj, specPath: string, isPod: boolean, errs: FieldError[]): void {
  if (spec.hostNetwork !== true) return;
  (Array.isArray(spec.containers) ? spec.containers : []).forEach((c, i) => {
    if (!isObj(c)) return;
    (Array.isArray(c.ports) ? c.ports : []).forEach((port, j) => {
      if (!isObj(port)) return;
      const hp = typeof port.hostPort === 'number' ? port.hostPort : 0;
      const cp = typeof port.containerPort === 'number' ? port.containerPort : 0;
      if ((isPod || hp !== 0) && hp !== cp) {
        errs.push(fieldError.invalid(child(index(child(index(child(specPath, 'containers'), i), 'ports'), j), 'hostPort'), hp,
          'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
}

function validateHostUsers(spec: Obj, specPath: string, errs: FieldError[]): void {
  if (spec.hostUsers !== false) return;
  if (spec.hostNetwork === true) errs.push(fieldError.forbidden(child(specPath, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
  if (spec.hostPID === true) errs.push(fieldError.forbidden(child(specPath, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
  if (spec.hostIPC === true) errs.push(fieldError.forbidden(child(specPath, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
}

function validateResourceClaims(spec: Obj, specPath: string, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  for (const { item: c, path: p } of getObjectList(spec, 'resourceClaims', specPath, errs)) {
    const name = getString(c, 'name', p, errs) ?? '';
    if (name === '') errs.push(fieldError.required(child(p, 'name')));
    else if (names.has(name)) errs.push(fieldError.duplicate(child(p, 'name'), name));
    else {
      for (const m of isDNS1123Label(name)) errs.push(fieldError.invalid(child(p, 'name'), name, m));
      names.add(name);
    }
    const rcn = getString(c, 'resourceClaimName', p, errs);
    const rctn = getString(c, 'resourceClaimTemplateName', p, errs);
    if (rcn !== undefined && rctn !== undefined) errs.push(fieldError.invalid(p, c, 'at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified'));
    if (rcn === undefined && rctn === undefined) errs.push(fieldError.invalid(p, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'));
    if (rcn !== undefined) for (const m of isDNS1123Subdomain(rcn)) errs.push(fieldError.invalid(child(p, 'resourceClaimName'), rcn, m));
    if (rctn !== undefined) for (const m of isDNS1123Subdomain(rctn)) errs.push(fieldError.invalid(child(p, 'resourceClaimTemplateName'), rctn, m));
  }
  return names;
}

/** ValidatePodSpec: the whole spec of a pod or of a pod template. */
export function validatePodSpec(spec: unknown, specPath: string, opts: PodSpecOptions): FieldError[] {
  if (spec === undefined || spec === null) spec = {};
  if (!isObj(spec)) return [typeInvalid(specPath, spec, 'object')];
  const errs: FieldError[] = [];
  const grace = getInt(spec, 'terminationGracePeriodSeconds', specPath, errs);
  if (grace === undefined && (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null)) {
    errs.push(fieldError.required(child(specPath, 'terminationGracePeriodSeconds')));
  }
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'hostUsers', 'automountServiceAccountToken',
    'enableServiceLinks', 'setHostnameAsFQDN']) getBool(spec, f, specPath, errs);
  const hostUsers = spec.hostUsers !== false;
  const restartPolicy = getString(spec, 'restartPolicy', specPath, errs) ?? '';
  const dnsPolicy = getString(spec, 'dnsPolicy', specPath, errs) ?? '';

  const vols = validateVolumes(spec.volumes, child(specPath, 'volumes'), opts.isPod ? opts.podName : undefined, opts.isPod, errs);
  const podClaimNames = validateResourceClaims(spec, specPath, errs);
  const ctx: ContainerContext = { volumes: vols, podClaimNames, gracePeriod: grace, restartPolicy, hostUsers };
  const containers = validateContainers(spec, specPath, ctx, errs);
  const inits = validateInitContainers(spec, specPath, ctx, errs);
  validateEphemeralContainers(spec, specPath, ctx, errs);
  if (opts.isPod) {
    validateImageWhitespace(containers, errs);
    validateImageWhitespace(inits, errs);
  }

  if (spec.resources !== undefined && spec.resources !== null) {
    const rp = child(specPath, 'resources');
    if (isObj(spec.resources) && spec.resources.claims !== undefined && spec.resources.claims !== null) {
      errs.push(fieldError.forbidden(child(rp, 'claims'), 'claims cannot be set for Resources at pod-level'));
    }
    const { claims: _c, ...rest } = isObj(spec.resources) ? spec.resources : {};
    errs.push(...validateResourceRequirements(isObj(spec.resources) ? rest : spec.resources, rp, podClaimNames, validatePodResourceName));
  }

  validateHostNetworkDeps(spec, specPath, opts.isPod, errs);
  if (restartPolicy === '') errs.push(fieldError.required(child(specPath, 'restartPolicy')));
  else if (!restartPolicies.includes(restartPolicy)) errs.push(fieldError.notSupported(child(specPath, 'restartPolicy'), restartPolicy, restartPolicies));
  if (dnsPolicy === '') errs.push(fieldError.required(child(specPath, 'dnsPolicy')));
  else if (!dnsPolicies.includes(dnsPolicy)) errs.push(fieldError.notSupported(child(specPath, 'dnsPolicy'), dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(spec.nodeSelector, child(specPath, 'nodeSelector')));
  validatePodSecurityContext(spec, specPath, errs);
  for (const { item: ref, path: rp } of getObjectList(spec, 'imagePullSecrets', specPath, errs)) {
    if (Object.keys(ref).some((k) => k !== 'name')) errs.push(fieldError.invalid(rp, ref, 'only name may be set'));
  }
  errs.push(...validateAffinity(spec.affinity, child(specPath, 'affinity')));
  validateDNSConfig(spec, specPath, dnsPolicy, errs);
  for (const { item: g, path: gp } of getObjectList(spec, 'readinessGates', specPath, errs)) {
    const ct = getString(g, 'conditionType', gp, errs) ?? '';
    for (const m of isQualifiedName(ct)) errs.push(fieldError.invalid(child(gp, 'conditionType'), ct, m));
  }
  const gates = new Set<string>();
  for (const { item: g, path: gp } of getObjectList(spec, 'schedulingGates', specPath, errs)) {
    const name = getString(g, 'name', gp, errs) ?? '';
    for (const m of isQualifiedName(name)) errs.push(fieldError.invalid(gp, name, m));
    if (gates.has(name)) errs.push(fieldError.duplicate(gp, name));
    gates.add(name);
  }
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, child(specPath, 'topologySpreadConstraints')));
  validateHostUsers(spec, specPath, errs);

  const sa = getString(spec, 'serviceAccountName', specPath, errs) ?? '';
  if (sa.length > 0) for (const m of nameIsDNSSubdomain(sa, false)) errs.push(fieldError.invalid(child(specPath, 'serviceAccountName'), sa, m));
  getString(spec, 'serviceAccount', specPath, errs);
  const nodeName = getString(spec, 'nodeName', specPath, errs) ?? '';
  if (nodeName.length > 0) for (const m of nameIsDNSSubdomain(nodeName, false)) errs.push(fieldError.invalid(child(specPath, 'nodeName'), nodeName, m));
  const ads = getInt(spec, 'activeDeadlineSeconds', specPath, errs);
  if (ads !== undefined && (ads < 1 || ads > 2147483647)) {
    errs.push(fieldError.invalid(child(specPath, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, 2147483647)));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = getString(spec, f, specPath, errs) ?? '';
    if (v.length > 0) for (const m of isDNS1123Label(v)) errs.push(fieldError.invalid(child(specPath, f), v, m));
  }
  errs.push(...validateTolerations(spec.tolerations, child(specPath, 'tolerations')));
  for (const { item: ha, path: hp } of getObjectList(spec, 'hostAliases', specPath, errs)) {
    errs.push(...validateIP(child(hp, 'ip'), getString(ha, 'ip', hp, errs) ?? ''));
    (getStringArray(ha, 'hostnames', hp, errs) ?? []).forEach((h, i) => {
      for (const m of isDNS1123Subdomain(h)) errs.push(fieldError.invalid(index(child(hp, 'hostnames'), i), h, m));
    });
  }
  const pcn = getString(spec, 'priorityClassName', specPath, errs) ?? '';
  if (pcn.length > 0) for (const m of nameIsDNSSubdomain(pcn, false)) errs.push(fieldError.invalid(child(specPath, 'priorityClassName'), pcn, m));
  getInt(spec, 'priority', specPath, errs);
  const rcn = getString(spec, 'runtimeClassName', specPath, errs);
  if (rcn !== undefined) for (const m of nameIsDNSSubdomain(rcn, false)) errs.push(fieldError.invalid(child(specPath, 'runtimeClassName'), rcn, m));
  const pp = getString(spec, 'preemptionPolicy', specPath, errs);
  if (pp !== undefined) {
    if (pp === '') errs.push(fieldError.required(child(specPath, 'preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fieldError.notSupported(child(specPath, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  if (spec.overhead !== undefined && spec.overhead !== null) {
    // Upstream checks overhead as the limits of a container's requirements (paths `spec.overhead.limits[...]`).
    errs.push(...validateResourceRequirements({ limits: spec.overhead }, child(specPath, 'overhead'), podClaimNames));
  }
  getString(spec, 'schedulerName', specPath, errs);
  validateOS(spec, specPath, errs);
  return errs;
}

/** ValidatePodTemplateSpec: labels, annotations and the pod spec of a template. */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  if (template === undefined || template === null) template = {};
  if (!isObj(template)) return [typeInvalid(path, template, 'object')];
  const errs: FieldError[] = [];
  const meta = template.metadata;
  if (meta !== undefined && meta !== null && !isObj(meta)) {
    errs.push(typeInvalid(child(path, 'metadata'), meta, 'object'));
  } else {
    // Upstream reports template label and annotation problems at `<path>.labels` / `.annotations`.
    errs.push(...validateLabels(isObj(meta) ? meta.labels : undefined, child(path, 'labels')));
    errs.push(...validateAnnotations(isObj(meta) ? meta.annotations : undefined, child(path, 'annotations')));
  }
  errs.push(...validatePodSpec(template.spec, child(path, 'spec'), { isPod: false }));
  const spec = isObj(template.spec) ? template.spec : {};
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    errs.push(fieldError.forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
