// Containers of a pod spec (regular, init, ephemeral): names, images, ports,
// environment, mounts, probes and lifecycle handlers, resources, security context.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getArray, getBool, getInt, getObject, getObjectList, getString, getStringArray, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import {
  isConfigMapKey, isDNS1123Label, isHTTPHeaderName, isRelaxedEnvVarName, isValidGroupID, isValidPortName, isValidPortNum,
  isValidUserID, nameIsDNSSubdomain,
} from './names.ts';
import { isNegativeErrorMsg } from './objectmeta.ts';
import {
  envFieldPathExpressions, validateLocalDescendingPath, validateObjectFieldSelector, validatePathNoBacksteps,
  validateResourceFieldSelector,
} from './pod-volumes.ts';
import type { VolumeInfo } from './pod-volumes.ts';
import { validateResourceRequirements } from './resources.ts';

export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];

export interface ContainerContext {
  volumes: Map<string, VolumeInfo>;
  podClaimNames: Set<string>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
}

// ---- ports ------------------------------------------------------------------------

function validateContainerPorts(list: Array<{ item: Obj; path: string }>, errs: FieldError[]): void {
  const names = new Set<string>();
  for (const { item: port, path } of list) {
    const name = getString(port, 'name', path, errs) ?? '';
    if (name.length > 0) {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) for (const m of msgs) errs.push(fieldError.invalid(child(path, 'name'), name, m));
      else if (names.has(name)) errs.push(fieldError.duplicate(child(path, 'name'), name));
      else names.add(name);
    }
    const cp = getInt(port, 'containerPort', path, errs) ?? 0;
    if (cp === 0) errs.push(fieldError.required(child(path, 'containerPort')));
    else for (const m of isValidPortNum(cp)) errs.push(fieldError.invalid(child(path, 'containerPort'), cp, m));
    const hp = getInt(port, 'hostPort', path, errs) ?? 0;
    if (hp !== 0) for (const m of isValidPortNum(hp)) errs.push(fieldError.invalid(child(path, 'hostPort'), hp, m));
    const proto = getString(port, 'protocol', path, errs) ?? '';
    if (proto.length === 0) errs.push(fieldError.required(child(path, 'protocol')));
    else if (!supportedPortProtocols.includes(proto)) errs.push(fieldError.notSupported(child(path, 'protocol'), proto, supportedPortProtocols));
    getString(port, 'hostIP', path, errs);
  }
}

/** Host ports may not repeat for the same protocol and host IP. */
export function checkHostPortConflicts(containers: Array<{ item: Obj; path: string }>, errs: FieldError[]): void {
  const seen = new Set<string>();
  for (const { item: c, path } of containers) {
    const ports = Array.isArray(c.ports) ? c.ports : [];
    ports.forEach((p, i) => {
      if (!isObj(p) || typeof p.hostPort !== 'number' || p.hostPort === 0) return;
      const k = `${String(p.protocol ?? '')}/${String(p.hostIP ?? '')}/${p.hostPort}`;
      if (seen.has(k)) errs.push(fieldError.duplicate(child(index(child(path, 'ports'), i), 'hostPort'), k));
      else seen.add(k);
    });
  }
}

// ---- environment -------------------------------------------------------------------

function validateKeySelector(sel: Obj, path: string, errs: FieldError[]): void {
  const name = getString(sel, 'name', path, errs) ?? '';
  for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
  const k = getString(sel, 'key', path, errs) ?? '';
  if (k.length === 0) errs.push(fieldError.required(child(path, 'key')));
  else for (const m of isConfigMapKey(k)) errs.push(fieldError.invalid(child(path, 'key'), k, m));
  getBool(sel, 'optional', path, errs);
}

function validateEnv(list: Array<{ item: Obj; path: string }>, errs: FieldError[]): void {
  for (const { item: ev, path } of list) {
    const name = getString(ev, 'name', path, errs) ?? '';
    if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
    const value = getString(ev, 'value', path, errs) ?? '';
    const vf = getObject(ev, 'valueFrom', path, errs);
    if (!vf) continue;
    const vp = child(path, 'valueFrom');
    let n = 0;
    const fieldRef = getObject(vf, 'fieldRef', vp, errs);
    if (fieldRef) { n++; validateObjectFieldSelector(fieldRef, envFieldPathExpressions, child(vp, 'fieldRef'), errs); }
    const resRef = getObject(vf, 'resourceFieldRef', vp, errs);
    if (resRef) { n++; validateResourceFieldSelector(resRef, child(vp, 'resourceFieldRef'), false, errs); }
    const cmRef = getObject(vf, 'configMapKeyRef', vp, errs);
    if (cmRef) { n++; validateKeySelector(cmRef, child(vp, 'configMapKeyRef'), errs); }
    const secretRef = getObject(vf, 'secretKeyRef', vp, errs);
    if (secretRef) { n++; validateKeySelector(secretRef, child(vp, 'secretKeyRef'), errs); }
    const fileRef = getObject(vf, 'fileKeyRef', vp, errs);
    if (fileRef) n++;
    if (n === 0) errs.push(fieldError.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (value.length !== 0) errs.push(fieldError.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(fieldError.invalid(vp, '', 'may not have more than one field specified at a time'));
  }
}

function validateEnvFrom(list: Array<{ item: Obj; path: string }>, listPath: string, errs: FieldError[]): void {
  for (const { item: ev, path } of list) {
    const prefix = getString(ev, 'prefix', path, errs) ?? '';
    if (prefix.length > 0) for (const m of isRelaxedEnvVarName(prefix)) errs.push(fieldError.invalid(child(path, 'prefix'), prefix, m));
    let n = 0;
    for (const refName of ['configMapRef', 'secretRef']) {
      const ref = getObject(ev, refName, path, errs);
      if (!ref) continue;
      n++;
      const rp = child(path, refName);
      const name = getString(ref, 'name', rp, errs) ?? '';
      if (name.length === 0) errs.push(fieldError.required(child(rp, 'name')));
      else for (const m of nameIsDNSSubdomain(name, true)) errs.push(fieldError.invalid(child(rp, 'name'), name, m));
    }
    if (n === 0) errs.push(fieldError.invalid(listPath, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldError.invalid(listPath, '', 'may not have more than one field specified at a time'));
  }
}

// ---- mounts --------------------------------------------------------------------------

function validateVolumeMounts(c: Obj, cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const listPath = child(cPath, 'volumeMounts');
  const mounts = getObjectList(c, 'volumeMounts', cPath, errs);
  const devices = Array.isArray(c.volumeDevices) ? c.volumeDevices.filter(isObj) : [];
  const deviceNames = new Set(devices.map((d) => String(d.name ?? '')));
  const devicePaths = new Set(devices.map((d) => String(d.devicePath ?? '')));
  const privileged = isObj(c.securityContext) && c.securityContext.privileged === true;
  const mountPoints = new Set<string>();
  for (const { item: m, path } of mounts) {
    const name = getString(m, 'name', path, errs) ?? '';
    const mountPath = getString(m, 'mountPath', path, errs) ?? '';
    const readOnly = getBool(m, 'readOnly', path, errs) ?? false;
    if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
    if (!ctx.volumes.has(name)) errs.push(fieldError.notFound(child(path, 'name'), name));
    if (mountPath.length === 0) errs.push(fieldError.required(child(path, 'mountPath')));
    if (mountPoints.has(mountPath)) errs.push(fieldError.invalid(child(path, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (deviceNames.has(name)) errs.push(fieldError.invalid(child(path, 'name'), name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath)) errs.push(fieldError.invalid(child(path, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    const subPath = getString(m, 'subPath', path, errs) ?? '';
    const subPathExpr = getString(m, 'subPathExpr', path, errs) ?? '';
    if (ctx.volumes.get(name)?.source === 'image') {
      if (subPath.length !== 0) errs.push(fieldError.invalid(child(path, 'subPath'), subPath, 'not allowed in image volume sources'));
      if (subPathExpr.length !== 0) errs.push(fieldError.invalid(child(path, 'subPathExpr'), subPathExpr, 'not allowed in image volume sources'));
    }
    if (subPath.length > 0) errs.push(...validateLocalDescendingPath(subPath, child(listPath, 'subPath')));
    if (subPathExpr.length > 0) {
      if (subPath.length > 0) errs.push(fieldError.invalid(child(path, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(listPath, 'subPathExpr')));
    }
    const prop = getString(m, 'mountPropagation', path, errs);
    if (prop !== undefined) {
      const props = ['Bidirectional', 'HostToContainer', 'None'];
      const pp = child(listPath, 'mountPropagation');
      if (!props.includes(prop)) errs.push(fieldError.notSupported(pp, prop, props));
      if (prop === 'Bidirectional' && !privileged) {
        errs.push(fieldError.forbidden(pp, 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    const rro = getString(m, 'recursiveReadOnly', path, errs);
    if (rro !== undefined) {
      const rp = child(listPath, 'recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (!readOnly) errs.push(fieldError.forbidden(rp, 'may only be specified when readOnly is true'));
        if (prop !== undefined && prop !== 'None') errs.push(fieldError.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (rro !== 'Disabled') {
        errs.push(fieldError.notSupported(rp, rro, ['Disabled', 'Enabled', 'IfPossible']));
      }
    }
  }
}

function validateVolumeDevices(c: Obj, cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const listPath = child(cPath, 'volumeDevices');
  const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts.filter(isObj) : [];
  const mountNames = new Set(mounts.map((m) => String(m.name ?? '')));
  const mountPaths = new Set(mounts.map((m) => String(m.mountPath ?? '')));
  const names = new Set<string>(), paths = new Set<string>();
  for (const { item: d, path } of getObjectList(c, 'volumeDevices', cPath, errs)) {
    const name = getString(d, 'name', path, errs) ?? '';
    const devPath = getString(d, 'devicePath', path, errs) ?? '';
    const vol = ctx.volumes.get(name);
    if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
    if (names.has(name)) errs.push(fieldError.invalid(child(path, 'name'), name, 'must be unique'));
    if (vol && !vol.isPVC) errs.push(fieldError.invalid(child(path, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push(fieldError.notFound(child(path, 'name'), name));
    if (devPath.length === 0) errs.push(fieldError.required(child(path, 'devicePath')));
    if (paths.has(devPath)) errs.push(fieldError.invalid(child(path, 'devicePath'), devPath, 'must be unique'));
    if (devPath.length > 0 && validatePathNoBacksteps(devPath, listPath).length > 0) {
      errs.push(fieldError.invalid(child(path, 'devicePath'), devPath, "can not contain backsteps ('..')"));
    } else {
      paths.add(devPath);
    }
    if (mountNames.has(name)) errs.push(fieldError.invalid(child(path, 'name'), name, 'must not already exist in volumeMounts'));
    if (mountPaths.has(devPath)) errs.push(fieldError.invalid(child(path, 'devicePath'), devPath, 'must not already exist as a path in volumeMounts'));
    if (name.length > 0) names.add(name);
  }
}

// ---- probes and handlers -----------------------------------------------------------

function validatePortNumOrName(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number' && Number.isInteger(v)) {
    for (const m of isValidPortNum(v)) errs.push(fieldError.invalid(path, v, m));
  } else if (typeof v === 'string') {
    for (const m of isValidPortName(v)) errs.push(fieldError.invalid(path, v, m));
  } else if (v === undefined || v === null) {
    for (const m of isValidPortNum(0)) errs.push(fieldError.invalid(path, 0, m));
  } else {
    errs.push(typeInvalid(path, v, 'integer or string'));
  }
}

export { validatePortNumOrName };

function validateHandler(h: Obj, path: string, ctx: ContainerContext, allowed: string[], errs: FieldError[]): void {
  let n = 0;
  for (const kind of ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep']) {
    if (!allowed.includes(kind)) continue;
    const v = getObject(h, kind, path, errs);
    if (!v) continue;
    const p = child(path, kind);
    if (n > 0) {
      errs.push(fieldError.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (kind) {
      case 'exec':
        if ((getStringArray(v, 'command', p, errs) ?? []).length === 0) errs.push(fieldError.required(child(p, 'command')));
        break;
      case 'httpGet': {
        const hp = getString(v, 'path', p, errs) ?? '';
        if (hp.length === 0) errs.push(fieldError.required(child(p, 'path')));
        validatePortNumOrName(v.port, child(p, 'port'), errs);
        const scheme = getString(v, 'scheme', p, errs) ?? '';
        if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(fieldError.notSupported(child(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
        for (const { item: hdr } of getObjectList(v, 'httpHeaders', p, errs)) {
          const name = typeof hdr.name === 'string' ? hdr.name : '';
          for (const m of isHTTPHeaderName(name)) errs.push(fieldError.invalid(child(p, 'httpHeaders'), name, m));
        }
        break;
      }
      case 'tcpSocket':
        validatePortNumOrName(v.port, child(p, 'port'), errs);
        break;
      case 'grpc': {
        const port = getInt(v, 'port', p, errs) ?? 0;
        for (const m of isValidPortNum(port)) errs.push(fieldError.invalid(child(p, 'port'), port, m));
        break;
      }
      case 'sleep': {
        const secs = getInt(v, 'seconds', p, errs) ?? 0;
        if (ctx.gracePeriod !== undefined && (secs < 0 || secs > ctx.gracePeriod)) {
          errs.push(fieldError.invalid(p, secs, `must be non-negative and less than terminationGracePeriodSeconds (${ctx.gracePeriod})`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(fieldError.required(path, 'must specify a handler type'));
}

function validateProbe(c: Obj, kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const probe = getObject(c, kind, cPath, errs);
  if (!probe) return;
  const p = child(cPath, kind);
  validateHandler(probe, p, ctx, ['exec', 'httpGet', 'tcpSocket', 'grpc'], errs);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    const v = getInt(probe, f, p, errs);
    if (v !== undefined && v < 0) errs.push(fieldError.invalid(child(p, f), v, isNegativeErrorMsg));
  }
  const tgps = getInt(probe, 'terminationGracePeriodSeconds', p, errs);
  if (tgps !== undefined && tgps <= 0) errs.push(fieldError.invalid(child(p, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind === 'readinessProbe') {
    if (tgps !== undefined) errs.push(fieldError.invalid(child(p, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  } else {
    const st = typeof probe.successThreshold === 'number' ? probe.successThreshold : 0;
    if (st !== 1) errs.push(fieldError.invalid(child(p, 'successThreshold'), st, 'must be 1'));
  }
}

function validateLifecycle(c: Obj, cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const lc = getObject(c, 'lifecycle', cPath, errs);
  if (!lc) return;
  const p = child(cPath, 'lifecycle');
  for (const hook of ['postStart', 'preStop']) {
    const h = getObject(lc, hook, p, errs);
    if (h) validateHandler(h, child(p, hook), ctx, ['exec', 'httpGet', 'tcpSocket', 'sleep'], errs);
  }
  const sig = getString(lc, 'stopSignal', p, errs);
  void sig;
}

// ---- security context -----------------------------------------------------------------

export function validateSeccompProfile(sp: unknown, path: string, errs: FieldError[]): void {
  if (sp === undefined || sp === null) return;
  if (!isObj(sp)) { errs.push(typeInvalid(path, sp, 'object')); return; }
  const t = getString(sp, 'type', path, errs) ?? '';
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (t === '') errs.push(fieldError.required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(t)) errs.push(fieldError.notSupported(child(path, 'type'), t, types));
  const lp = getString(sp, 'localhostProfile', path, errs);
  if (t === 'Localhost') {
    if (lp === undefined) errs.push(fieldError.required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(lp, child(path, 'localhostProfile')));
  } else if (lp !== undefined) {
    errs.push(fieldError.invalid(child(path, 'localhostProfile'), sp, 'can only be set when seccomp type is Localhost'));
  }
}

export function validateAppArmorProfile(ap: unknown, path: string, errs: FieldError[]): void {
  if (ap === undefined || ap === null) return;
  if (!isObj(ap)) { errs.push(typeInvalid(path, ap, 'object')); return; }
  const t = getString(ap, 'type', path, errs) ?? '';
  const lp = getString(ap, 'localhostProfile', path, errs);
  switch (t) {
    case 'Localhost':
      if (lp === undefined || lp.trim() === '') {
        if (lp !== undefined && lp.trim() !== lp) errs.push(fieldError.invalid(child(path, 'localhostProfile'), lp, 'must not be padded with whitespace'));
        else errs.push(fieldError.required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost'));
      } else if (lp.trim() !== lp) {
        errs.push(fieldError.invalid(child(path, 'localhostProfile'), lp, 'must not be padded with whitespace'));
      }
      if (lp !== undefined && lp.length > 4095) errs.push(fieldError.tooLong(child(path, 'localhostProfile'), '', 4095));
      break;
    case 'RuntimeDefault': case 'Unconfined':
      if (lp !== undefined) errs.push(fieldError.invalid(child(path, 'localhostProfile'), lp, 'can only be set when AppArmor type is Localhost'));
      break;
    case '':
      errs.push(fieldError.required(child(path, 'type'), 'type is required when appArmorProfile is set'));
      break;
    default:
      errs.push(fieldError.notSupported(child(path, 'type'), t, ['Localhost', 'RuntimeDefault', 'Unconfined']));
  }
}

function validateContainerSecurityContext(c: Obj, cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const sc = getObject(c, 'securityContext', cPath, errs);
  if (!sc) return;
  const p = child(cPath, 'securityContext');
  const privileged = getBool(sc, 'privileged', p, errs);
  const runAsUser = getInt(sc, 'runAsUser', p, errs);
  if (runAsUser !== undefined) for (const m of isValidUserID(runAsUser)) errs.push(fieldError.invalid(child(p, 'runAsUser'), runAsUser, m));
  const runAsGroup = getInt(sc, 'runAsGroup', p, errs);
  if (runAsGroup !== undefined) for (const m of isValidGroupID(runAsGroup)) errs.push(fieldError.invalid(child(p, 'runAsGroup'), runAsGroup, m));
  const procMount = getString(sc, 'procMount', p, errs);
  if (procMount !== undefined) {
    if (procMount !== 'Default' && procMount !== 'Unmasked') errs.push(fieldError.notSupported(child(p, 'procMount'), procMount, ['Default', 'Unmasked']));
    if (ctx.hostUsers && procMount === 'Unmasked') errs.push(fieldError.invalid(child(p, 'procMount'), procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  validateSeccompProfile(sc.seccompProfile, child(p, 'seccompProfile'), errs);
  const ape = getBool(sc, 'allowPrivilegeEscalation', p, errs);
  const caps = getObject(sc, 'capabilities', p, errs);
  const add = caps ? getStringArray(caps, 'add', child(p, 'capabilities'), errs) ?? [] : [];
  if (caps) getStringArray(caps, 'drop', child(p, 'capabilities'), errs);
  if (ape === false) {
    if (privileged === true) errs.push(fieldError.invalid(p, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (add.includes('CAP_SYS_ADMIN')) errs.push(fieldError.invalid(p, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  getBool(sc, 'readOnlyRootFilesystem', p, errs);
  getBool(sc, 'runAsNonRoot', p, errs);
  getObject(sc, 'seLinuxOptions', p, errs);
  getObject(sc, 'windowsOptions', p, errs);
  validateAppArmorProfile(sc.appArmorProfile, child(p, 'appArmorProfile'), errs);
}

function validateResizePolicy(c: Obj, cPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const list = getObjectList(c, 'resizePolicy', cPath, errs);
  const lp = child(cPath, 'resizePolicy');
  const seen = new Set<string>();
  for (const { item: rp, path: p } of list) {
    const name = getString(rp, 'resourceName', p, errs) ?? '';
    const policy = getString(rp, 'restartPolicy', p, errs) ?? '';
    if (seen.has(name)) errs.push(fieldError.duplicate(p, name));
    seen.add(name);
    if (name === '') errs.push(fieldError.required(lp));
    else if (name !== 'cpu' && name !== 'memory') errs.push(fieldError.notSupported(lp, name, ['cpu', 'memory']));
    if (policy === '') errs.push(fieldError.required(lp));
    else if (policy !== 'NotRequired' && policy !== 'RestartContainer') errs.push(fieldError.notSupported(lp, policy, ['NotRequired', 'RestartContainer']));
    if (ctx.restartPolicy === 'Never' && policy !== 'NotRequired') {
      errs.push(fieldError.invalid(lp, policy, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  }
}

// ---- containers -----------------------------------------------------------------------

/** The checks every kind of container gets. */
function validateContainerCommon(c: Obj, path: string, ctx: ContainerContext, errs: FieldError[]): void {
  const name = getString(c, 'name', path, errs) ?? '';
  if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  else for (const m of isDNS1123Label(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
  const image = getString(c, 'image', path, errs) ?? '';
  if (image.length === 0) errs.push(fieldError.required(child(path, 'image')));
  const tmp = getString(c, 'terminationMessagePolicy', path, errs) ?? '';
  if (tmp === '') errs.push(fieldError.required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(fieldError.notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  getString(c, 'terminationMessagePath', path, errs);
  getStringArray(c, 'command', path, errs);
  getStringArray(c, 'args', path, errs);
  getString(c, 'workingDir', path, errs);
  validateContainerPorts(getObjectList(c, 'ports', path, errs), errs);
  validateEnv(getObjectList(c, 'env', path, errs), errs);
  validateEnvFrom(getObjectList(c, 'envFrom', path, errs), child(path, 'envFrom'), errs);
  validateVolumeMounts(c, path, ctx, errs);
  validateVolumeDevices(c, path, ctx, errs);
  const pp = getString(c, 'imagePullPolicy', path, errs) ?? '';
  if (pp === '') errs.push(fieldError.required(child(path, 'imagePullPolicy')));
  else if (!pullPolicies.includes(pp)) errs.push(fieldError.notSupported(child(path, 'imagePullPolicy'), pp, pullPolicies));
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources'), ctx.podClaimNames));
  validateResizePolicy(c, path, ctx, errs);
  validateContainerSecurityContext(c, path, ctx, errs);
  getBool(c, 'stdin', path, errs);
  getBool(c, 'stdinOnce', path, errs);
  getBool(c, 'tty', path, errs);
}

/** Images of pods (not templates) may not have surrounding whitespace. */
export function validateImageWhitespace(containers: Array<{ item: Obj; path: string }>, errs: FieldError[]): void {
  for (const { item: c, path } of containers) {
    if (typeof c.image === 'string' && c.image.trim().length !== c.image.length) {
      errs.push(fieldError.invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
    }
  }
}

export function validateContainers(spec: Obj, specPath: string, ctx: ContainerContext, errs: FieldError[]): Array<{ item: Obj; path: string }> {
  const path = child(specPath, 'containers');
  const raw = getArray(spec, 'containers', specPath, errs);
  if (raw === undefined) {
    if (spec.containers === undefined || spec.containers === null) errs.push(fieldError.required(path));
    return [];
  }
  if (raw.length === 0) {
    errs.push(fieldError.required(path));
    return [];
  }
  const list = getObjectList(spec, 'containers', specPath, []);
  raw.forEach((c, i) => { if (!isObj(c)) errs.push(typeInvalid(index(path, i), c, 'object')); });
  const names = new Set<string>();
  for (const { item: c, path: p } of list) {
    validateContainerCommon(c, p, ctx, errs);
    const name = typeof c.name === 'string' ? c.name : '';
    if (names.has(name)) errs.push(fieldError.duplicate(child(p, 'name'), name));
    else names.add(name);
    validateLifecycle(c, p, ctx, errs);
    validateProbe(c, 'livenessProbe', p, ctx, errs);
    validateProbe(c, 'readinessProbe', p, ctx, errs);
    validateProbe(c, 'startupProbe', p, ctx, errs);
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      errs.push(fieldError.forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
    }
  }
  checkHostPortConflicts(list, errs);
  return list;
}

export function validateInitContainers(spec: Obj, specPath: string, ctx: ContainerContext, errs: FieldError[]): Array<{ item: Obj; path: string }> {
  const list = getObjectList(spec, 'initContainers', specPath, errs);
  const names = new Set<string>();
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) if (isObj(c) && typeof c.name === 'string') names.add(c.name);
  for (const { item: c, path: p } of list) {
    validateContainerCommon(c, p, ctx, errs);
    const rp = getString(c, 'restartPolicy', p, errs);
    const restartAlways = rp === 'Always';
    if (rp !== undefined && rp !== 'Always') errs.push(fieldError.notSupported(child(p, 'restartPolicy'), rp, ['Always']));
    const name = typeof c.name === 'string' ? c.name : '';
    if (names.has(name)) errs.push(fieldError.duplicate(child(p, 'name'), name));
    else if (name.length > 0) names.add(name);
    checkHostPortConflicts([{ item: c, path: p }], errs);
    if (restartAlways) {
      validateLifecycle(c, p, ctx, errs);
      validateProbe(c, 'livenessProbe', p, ctx, errs);
      validateProbe(c, 'readinessProbe', p, ctx, errs);
      validateProbe(c, 'startupProbe', p, ctx, errs);
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) {
          errs.push(fieldError.forbidden(child(p, f), 'may not be set for init containers without restartPolicy=Always'));
        }
      }
    }
  }
  return list;
}

/** Fields an ephemeral container may set. */
const ephemeralAllowed = new Set(['name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty', 'targetContainerName']);

export function validateEphemeralContainers(spec: Obj, specPath: string, ctx: ContainerContext, errs: FieldError[]): void {
  const list = getObjectList(spec, 'ephemeralContainers', specPath, errs);
  if (list.length === 0) return;
  const other = new Set<string>();
  for (const k of ['containers', 'initContainers']) {
    for (const c of Array.isArray(spec[k]) ? spec[k] as unknown[] : []) if (isObj(c) && typeof c.name === 'string') other.add(c.name);
  }
  const all = new Set(other);
  for (const { item: c, path: p } of list) {
    validateContainerCommon(c, p, ctx, errs);
    validateImageWhitespace([{ item: c, path: p }], errs);
    const name = typeof c.name === 'string' ? c.name : '';
    if (all.has(name)) errs.push(fieldError.duplicate(child(p, 'name'), name));
    else all.add(name);
    const target = typeof c.targetContainerName === 'string' ? c.targetContainerName : '';
    if (target !== '' && !other.has(target)) errs.push(fieldError.notFound(child(p, 'targetContainerName'), target));
    for (const [k, v] of Object.entries(c)) {
      if (ephemeralAllowed.has(k) || v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      if (k === 'resources' && isObj(v) && Object.keys(v).length === 0) continue;
      errs.push(fieldError.forbidden(child(p, k), 'cannot be set for an Ephemeral Container'));
    }
    (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).forEach((vm, i) => {
      if (!isObj(vm)) return;
      const vp = index(child(p, 'volumeMounts'), i);
      if (typeof vm.subPath === 'string' && vm.subPath !== '') errs.push(fieldError.forbidden(child(vp, 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (typeof vm.subPathExpr === 'string' && vm.subPathExpr !== '') errs.push(fieldError.forbidden(child(vp, 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  }
}
