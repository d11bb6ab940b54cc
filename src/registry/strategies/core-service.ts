// core/v1 Service: defaults (type, session affinity, traffic policies, ports,
// IP families), carrying allocated values over on update, type-change cleanup,
// and ValidateService / ValidateServiceUpdate. Allocating cluster IPs and node
// ports is the registry's job, not this strategy's.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, index, key } from '../../api/validation/fieldpath.ts';
import { validateCIDR, validateIP, validateNonSpecialIP, isIPv6String } from '../../api/validation/ip.ts';
import {
  getBool, getInt, getObject, getObjectList, getString, getStringArray, isObj, objAt, objsAt, semanticEqual, setDefault, setDefaultStr,
} from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, nameIsDNS1035Label } from '../../api/validation/names.ts';
import { validateLabels } from '../../api/validation/objectmeta.ts';
import { supportedPortProtocols, validatePortNumOrName } from '../../api/validation/pod-containers.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, keepStatus, metaOf, validateMeta, validateMetaUpdate } from './common.ts';

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const maxClientIPAffinitySeconds = 86400;

function specOf(svc: Obj): Obj {
  return isObj(svc.spec) ? svc.spec : {};
}

function typeOf(spec: Obj): string {
  return typeof spec.type === 'string' ? spec.type : '';
}

function externallyAccessible(spec: Obj): boolean {
  const t = typeOf(spec);
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
}

function needsClusterIP(spec: Obj): boolean {
  return typeOf(spec) !== 'ExternalName';
}

function needsNodePort(spec: Obj): boolean {
  const t = typeOf(spec);
  return t === 'NodePort' || (t === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheck(spec: Obj): boolean {
  return typeOf(spec) === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

function clusterIPsOf(spec: Obj): string[] {
  return Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((x): x is string => typeof x === 'string') : [];
}

function isHeadless(spec: Obj): boolean {
  const ips = clusterIPsOf(spec);
  return ips.length === 1 && ips[0] === 'None';
}

/** clusterIP and clusterIPs[0] describe the same thing; fill one from the other. */
function normalizeClusterIPs(spec: Obj, oldSpec?: Obj): void {
  const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  const ips = clusterIPsOf(spec);
  if (oldSpec) {
    // On update, a changed clusterIP with untouched clusterIPs means the user meant clusterIP.
    const oldIP = typeof oldSpec.clusterIP === 'string' ? oldSpec.clusterIP : '';
    if (ip !== oldIP && semanticEqual(spec.clusterIPs, oldSpec.clusterIPs)) {
      spec.clusterIPs = ip === '' ? undefined : [ip];
      if (ip === '') delete spec.clusterIPs;
      return;
    }
  }
  if (ip !== '' && ips.length === 0) spec.clusterIPs = [ip];
  else if (ip === '' && ips.length > 0) spec.clusterIP = ips[0];
}

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefaultStr(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = objAt(spec.sessionAffinityConfig);
    const cip = cfg ? objAt(cfg.clientIP) : undefined;
    if (!cip || cip.timeoutSeconds === undefined || cip.timeoutSeconds === null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  setDefaultStr(spec, 'type', 'ClusterIP');
  for (const p of objsAt(spec.ports)) {
    setDefaultStr(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec)) setDefaultStr(spec, 'externalTrafficPolicy', 'Cluster');
  const t = typeOf(spec);
  if (t === 'NodePort' || t === 'LoadBalancer' || t === 'ClusterIP') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (t === 'LoadBalancer') {
    setDefault(spec, 'allocateLoadBalancerNodePorts', true);
    const status = objAt(asObj(obj).status);
    const lb = status ? objAt(status.loadBalancer) : undefined;
    for (const ing of objsAt(lb?.ingress)) {
      if (typeof ing.ip === 'string' && ing.ip !== '') setDefault(ing, 'ipMode', 'VIP');
    }
  }
  // What the IP allocator settles for a single-stack IPv4 cluster.
  if (needsClusterIP(spec)) {
    normalizeClusterIPs(spec);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (spec.ipFamilies === undefined || spec.ipFamilies === null || (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length === 0)) {
      const ips = clusterIPsOf(spec).filter((ip) => ip !== 'None');
      spec.ipFamilies = ips.length > 0 ? ips.map((ip) => (isIPv6String(ip) ? 'IPv6' : 'IPv4')) : ['IPv4'];
    }
  }
}

/** On update the client may omit what the server allocated; take it from the stored object. */
function patchAllocatedValues(spec: Obj, oldSpec: Obj): void {
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (spec.clusterIP === undefined || spec.clusterIP === null || spec.clusterIP === '') {
      if (oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
    }
    if (clusterIPsOf(spec).length === 0 && clusterIPsOf(oldSpec).length > 0) spec.clusterIPs = oldSpec.clusterIPs;
    if ((spec.ipFamilies === undefined || spec.ipFamilies === null) && oldSpec.ipFamilies !== undefined) spec.ipFamilies = oldSpec.ipFamilies;
    if ((spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) && oldSpec.ipFamilyPolicy !== undefined) {
      spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    }
  }
  if (needsNodePort(oldSpec) && needsNodePort(spec)) {
    const used = (s: Obj): Set<unknown> => new Set(objsAt(s.ports).map((p) => p.nodePort).filter((n) => typeof n === 'number' && n !== 0));
    const oldUsed = used(oldSpec), newUsed = used(spec);
    const byName = new Map<unknown, unknown>();
    for (const p of objsAt(oldSpec.ports)) byName.set(p.name ?? '', p.nodePort);
    for (const p of objsAt(spec.ports)) {
      if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) continue;
      const v = byName.get(p.name ?? '');
      if (typeof v === 'number' && !(oldUsed.has(v) && newUsed.has(v))) p.nodePort = v;
    }
  }
  if (needsHealthCheck(oldSpec) && needsHealthCheck(spec)) {
    if (spec.healthCheckNodePort === undefined || spec.healthCheckNodePort === null || spec.healthCheckNodePort === 0) {
      spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
    }
  }
}

/** When the type changes, drop what the old type had and the new one cannot use (if the user left it alone). */
function dropTypeDependentFields(svc: Obj, spec: Obj, oldSpec: Obj): void {
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    if (semanticEqual(spec.clusterIP, oldSpec.clusterIP) && semanticEqual(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (semanticEqual(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (semanticEqual(spec.ipFamilyPolicy, oldSpec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(oldSpec) && !needsNodePort(spec)) {
    const oldPorts = objsAt(oldSpec.ports), newPorts = objsAt(spec.ports);
    const same = oldPorts.length === newPorts.length && oldPorts.every((p, i) => semanticEqual(p.nodePort, newPorts[i]?.nodePort));
    if (same) for (const p of newPorts) delete p.nodePort;
  }
  if (needsHealthCheck(oldSpec) && !needsHealthCheck(spec) && semanticEqual(spec.healthCheckNodePort, oldSpec.healthCheckNodePort)) {
    delete spec.healthCheckNodePort;
  }
  if (typeOf(oldSpec) === 'LoadBalancer' && typeOf(spec) !== 'LoadBalancer') {
    if (typeof spec.allocateLoadBalancerNodePorts === 'boolean' && spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (semanticEqual(spec.loadBalancerClass, oldSpec.loadBalancerClass)) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(oldSpec) && !externallyAccessible(spec) && semanticEqual(spec.externalTrafficPolicy, oldSpec.externalTrafficPolicy)) {
    delete spec.externalTrafficPolicy;
  }
  if (typeOf(spec) !== 'LoadBalancer' && isObj(svc.status)) svc.status.loadBalancer = {};
}

function prepareForUpdate(obj: KubeObject, old: KubeObject): void {
  keepStatus(obj, old);
  const spec = field(obj, 'spec');
  const oldSpec = specOf(asObj(old));
  if (!spec) return;
  patchAllocatedValues(spec, oldSpec);
  normalizeClusterIPs(spec, oldSpec);
  dropTypeDependentFields(asObj(obj), spec, oldSpec);
}

function validateServicePort(p: Obj, path: string, requireName: boolean, names: Set<string>, errs: FieldError[]): void {
  const name = getString(p, 'name', path, errs) ?? '';
  if (requireName && name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  else if (name.length !== 0) {
    for (const m of isDNS1123Label(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
    if (names.has(name)) errs.push(fieldError.duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  const port = getInt(p, 'port', path, errs) ?? 0;
  for (const m of isValidPortNum(port)) errs.push(fieldError.invalid(child(path, 'port'), port, m));
  const proto = getString(p, 'protocol', path, errs) ?? '';
  if (proto.length === 0) errs.push(fieldError.required(child(path, 'protocol')));
  else if (!supportedPortProtocols.includes(proto)) errs.push(fieldError.notSupported(child(path, 'protocol'), proto, supportedPortProtocols));
  validatePortNumOrName(p.targetPort, child(path, 'targetPort'), errs);
  const appProtocol = getString(p, 'appProtocol', path, errs);
  if (appProtocol !== undefined) for (const m of isQualifiedName(appProtocol)) errs.push(fieldError.invalid(child(path, 'appProtocol'), appProtocol, m));
  getInt(p, 'nodePort', path, errs);
}

function validateClusterIPsRelated(spec: Obj, errs: FieldError[]): void {
  if (typeOf(spec) === 'ExternalName') return;
  const ipsPath = 'spec.clusterIPs';
  const ip = getString(spec, 'clusterIP', 'spec', errs) ?? '';
  const ips = getStringArray(spec, 'clusterIPs', 'spec', errs) ?? [];
  if (ip.length !== 0) {
    if (ips.length === 0) errs.push(fieldError.required(ipsPath));
    else if (ips[0] !== ip) errs.push(fieldError.invalid(ipsPath, ips, 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(fieldError.invalid(ipsPath, ips, 'must be empty when `clusterIP` is not specified'));
  }
  const families = getStringArray(spec, 'ipFamilies', 'spec', errs) ?? [];
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fieldError.notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(fieldError.duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  const policy = getString(spec, 'ipFamilyPolicy', 'spec', errs);
  if (policy !== undefined && !ipFamilyPolicies.includes(policy)) errs.push(fieldError.notSupported('spec.ipFamilyPolicy', policy, ipFamilyPolicies));
  let invalid = false;
  ips.forEach((v, i) => {
    if (i === 0 && v === 'None') {
      if (ips.length > 1) {
        invalid = true;
        errs.push(fieldError.invalid(ipsPath, ips, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(index(ipsPath, i), v);
    if (e.length > 0) invalid = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(fieldError.invalid(ipsPath, ips, 'may only hold up to 2 values'));
  if (invalid) return;
  if (ips.length > 1) {
    const v6 = ips.map(isIPv6String);
    if (v6[0] === v6[1] || ips.length > 2) errs.push(fieldError.invalid(ipsPath, ips, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec) && ips.length > 0 && families.length > 0) {
    ips.forEach((v, i) => {
      if (i > families.length - 1) return;
      if (families[i] === 'IPv4' && isIPv6String(v)) errs.push(fieldError.invalid(index(ipsPath, i), v, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !isIPv6String(v)) errs.push(fieldError.invalid(index(ipsPath, i), v, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNS1035Label });
  const o = asObj(obj);
  const spec = getObject(o, 'spec', '', errs) ?? {};
  const annotations = metaOf(obj).annotations;
  const ann = isObj(annotations) ? annotations : {};
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (typeof hints === 'string' && typeof mode === 'string' && hints !== mode) {
    errs.push(fieldError.invalid(key('metadata.annotations', 'service.kubernetes.io/topology-mode'), mode,
      'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified'));
  }
  const t = getString(spec, 'type', 'spec', errs) ?? '';
  const ports = getObjectList(spec, 'ports', 'spec', errs);
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && t !== 'ExternalName') errs.push(fieldError.required('spec.ports'));
  switch (t) {
    case 'LoadBalancer':
      if (headless) errs.push(fieldError.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(fieldError.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (clusterIPsOf(spec).length > 0) errs.push(fieldError.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0) errs.push(fieldError.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(fieldError.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const en = getString(spec, 'externalName', 'spec', errs) ?? '';
      const cname = en.endsWith('.') ? en.slice(0, -1) : en;
      if (cname.length > 0) for (const m of isDNS1123Subdomain(cname)) errs.push(fieldError.invalid('spec.externalName', cname, m));
      else errs.push(fieldError.required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  for (const { item, path } of ports) validateServicePort(item, path, ports.length > 1, names, errs);
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = getString(spec, 'sessionAffinity', 'spec', errs) ?? '';
  if (affinity.length === 0) errs.push(fieldError.required('spec.sessionAffinity'));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(fieldError.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  const cfgPath = 'spec.sessionAffinityConfig';
  if (affinity === 'ClientIP') {
    const cfg = getObject(spec, 'sessionAffinityConfig', 'spec', errs);
    const cip = cfg ? getObject(cfg, 'clientIP', cfgPath, errs) : undefined;
    const secs = cip ? getInt(cip, 'timeoutSeconds', child(cfgPath, 'clientIP'), errs) : undefined;
    if (!cfg) errs.push(fieldError.required(cfgPath, 'when session affinity type is ClientIP'));
    else if (!cip) errs.push(fieldError.required(child(cfgPath, 'clientIP'), 'when session affinity type is ClientIP'));
    else if (secs === undefined) errs.push(fieldError.required(child(cfgPath, 'clientIP', 'timeoutSeconds'), 'when session affinity type is ClientIP'));
    else if (secs <= 0 || secs > maxClientIPAffinitySeconds) {
      errs.push(fieldError.invalid(child(cfgPath, 'clientIP', 'timeoutSeconds'), secs, `must be greater than 0 and less than ${maxClientIPAffinitySeconds}`));
    }
  } else if (affinity === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldError.forbidden(cfgPath, 'must not be set when session affinity is None'));
  }
  validateClusterIPsRelated(spec, errs);
  (getStringArray(spec, 'externalIPs', 'spec', errs) ?? []).forEach((ip, i) => {
    const p = index('spec.externalIPs', i);
    const e = validateIP(p, ip);
    errs.push(...(e.length > 0 ? e : validateNonSpecialIP(p, ip)));
  });
  if (t.length === 0) errs.push(fieldError.required('spec.type'));
  else if (!serviceTypes.includes(t)) errs.push(fieldError.notSupported('spec.type', t, serviceTypes));
  if (t === 'ClusterIP') {
    for (const { item, path } of ports) {
      if (typeof item.nodePort === 'number' && item.nodePort !== 0) errs.push(fieldError.forbidden(child(path, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    }
  }
  const nodePorts = new Set<string>(), portKeys = new Set<string>();
  for (const { item, path } of ports) {
    if (typeof item.nodePort === 'number' && item.nodePort !== 0) {
      const k = `${String(item.protocol)}/${item.nodePort}`;
      if (nodePorts.has(k)) errs.push(fieldError.duplicate(child(path, 'nodePort'), item.nodePort));
      nodePorts.add(k);
    }
    const k = `${String(item.protocol)}/${String(item.port)}`;
    if (portKeys.has(k)) errs.push(fieldError.duplicate(path, { port: item.port, protocol: item.protocol }));
    portKeys.add(k);
  }
  const ranges = getStringArray(spec, 'loadBalancerSourceRanges', 'spec', errs) ?? [];
  if (ranges.length > 0) {
    const rp = 'spec.LoadBalancerSourceRanges';
    if (t !== 'LoadBalancer') errs.push(fieldError.forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(index(rp, i), r.trim())));
  } else if (typeof ann['service.beta.kubernetes.io/load-balancer-source-ranges'] === 'string') {
    const ap = key('metadata.annotations', 'service.beta.kubernetes.io/load-balancer-source-ranges');
    if (t !== 'LoadBalancer') errs.push(fieldError.forbidden(ap, "may only be used when `type` is 'LoadBalancer'"));
    const val = (ann['service.beta.kubernetes.io/load-balancer-source-ranges'] as string).trim();
    if (val !== '') for (const r of val.split(',')) errs.push(...validateCIDR(ap, r.trim()));
  }
  const alloc = getBool(spec, 'allocateLoadBalancerNodePorts', 'spec', errs);
  if (alloc !== undefined && t !== 'LoadBalancer') {
    errs.push(fieldError.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (t === 'LoadBalancer' && alloc === undefined) errs.push(fieldError.required('allocateLoadBalancerNodePorts'));
  const lbClass = getString(spec, 'loadBalancerClass', 'spec', errs);
  if (lbClass !== undefined) {
    if (t === 'LoadBalancer') for (const m of isQualifiedName(lbClass)) errs.push(fieldError.invalid('spec.loadBalancerClass', lbClass, m));
    else errs.push(fieldError.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  const etp = getString(spec, 'externalTrafficPolicy', 'spec', errs) ?? '';
  if (!externallyAccessible(spec)) {
    if (etp !== '') errs.push(fieldError.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (etp === '') {
    errs.push(fieldError.required('spec.externalTrafficPolicy'));
  } else if (etp !== 'Cluster' && etp !== 'Local') {
    errs.push(fieldError.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const hcnp = getInt(spec, 'healthCheckNodePort', 'spec', errs) ?? 0;
  if (!needsHealthCheck(spec)) {
    if (hcnp !== 0) {
      errs.push(fieldError.invalid('spec.healthCheckNodePort', hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (hcnp !== 0) {
    // Required upstream too, but it is allocated by the registry; only the value is checked here.
    for (const m of isValidPortNum(hcnp)) errs.push(fieldError.invalid('spec.healthCheckNodePort', hcnp, m));
  }
  const itp = getString(spec, 'internalTrafficPolicy', 'spec', errs);
  if (itp === undefined) {
    if (t === 'NodePort' || t === 'LoadBalancer' || t === 'ClusterIP') errs.push(fieldError.required('spec.internalTrafficPolicy'));
  } else if (itp !== 'Cluster' && itp !== 'Local') {
    errs.push(fieldError.notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  }
  const td = getString(spec, 'trafficDistribution', 'spec', errs);
  const tds = ['PreferClose', 'PreferSameNode', 'PreferSameZone'];
  if (td !== undefined && !tds.includes(td)) errs.push(fieldError.notSupported('spec.trafficDistribution', td, tds));
  getBool(spec, 'publishNotReadyAddresses', 'spec', errs);
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const spec = specOf(asObj(obj)), oldSpec = specOf(asObj(old));
  if (typeOf(spec) !== 'ExternalName' && typeOf(oldSpec) !== 'ExternalName') {
    const newH = isHeadless(spec), oldH = isHeadless(oldSpec);
    const ips = clusterIPsOf(spec), oldIps = clusterIPsOf(oldSpec);
    if (!(newH && oldH)) {
      if (ips.length === oldIps.length) {
        oldIps.forEach((ip, i) => {
          if (ip !== ips[i]) errs.push(fieldError.invalid(index('spec.clusterIPs', i), ips, 'may not change once set'));
        });
      } else if (oldIps.length > ips.length) {
        if (ips.length === 0) errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
        if (oldIps.length > 0 && ips.length > 0 && ips[0] !== oldIps[0]) errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
        if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
          errs.push(fieldError.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
        }
      } else if (oldIps.length > 0 && ips[0] !== oldIps[0]) {
        errs.push(fieldError.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
      }
    }
    if (newH === oldH && !newH) {
      const fam = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
      const oldFam = Array.isArray(oldSpec.ipFamilies) ? oldSpec.ipFamilies : [];
      if (fam.length === oldFam.length) {
        oldFam.forEach((f, i) => { if (f !== fam[i]) errs.push(fieldError.invalid('spec.ipFamilies[0]', fam, 'may not change once set')); });
      } else if (oldFam.length > fam.length) {
        if (ips.length === 0) errs.push(fieldError.invalid('spec.ipFamilies[0]', fam, 'primary ipFamily can not be unset'));
        if (fam.length > 0 && fam[0] !== oldFam[0]) errs.push(fieldError.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
        if (fam.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
          errs.push(fieldError.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
        }
      } else if (oldFam.length > 0 && fam.length > 0 && fam[0] !== oldFam[0]) {
        errs.push(fieldError.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
      }
    }
  }
  if (typeOf(spec) === 'LoadBalancer' && typeOf(oldSpec) === 'LoadBalancer' && !semanticEqual(spec.loadBalancerClass, oldSpec.loadBalancerClass)) {
    errs.push(fieldError.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(spec) && needsHealthCheck(oldSpec) && !semanticEqual(spec.healthCheckNodePort, oldSpec.healthCheckNodePort)) {
    errs.push(fieldError.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs;
}

export const serviceStrategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
    const spec = field(obj, 'spec');
    if (spec) normalizeClusterIPs(spec);
  },
  prepareForUpdate,
  validate,
  validateUpdate,
};
