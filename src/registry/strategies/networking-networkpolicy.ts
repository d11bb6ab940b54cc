// networking.k8s.io/v1 NetworkPolicy: policy types default from the rules;
// ports default to TCP; selectors, ports and IP blocks are checked.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { validateCIDR } from '../../api/validation/ip.ts';
import { getInt, getObject, getObjectList, getString, getStringArray, objsAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { validateLabelSelector } from '../../api/validation/labelselector.ts';
import { isValidPortName, isValidPortNum, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { supportedPortProtocols } from '../../api/validation/pod-containers.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';

function validatePort(p: Obj, path: string, errs: FieldError[]): void {
  const proto = getString(p, 'protocol', path, errs);
  if (proto !== undefined && !supportedPortProtocols.includes(proto)) errs.push(fieldError.notSupported(child(path, 'protocol'), proto, supportedPortProtocols));
  const port = p.port;
  const endPort = getInt(p, 'endPort', path, errs);
  if (typeof port === 'number') {
    for (const m of isValidPortNum(port)) errs.push(fieldError.invalid(child(path, 'port'), port, m));
    if (endPort !== undefined) {
      if (endPort < port) errs.push(fieldError.invalid(child(path, 'endPort'), endPort, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(endPort)) errs.push(fieldError.invalid(child(path, 'endPort'), endPort, m));
    }
  } else if (typeof port === 'string') {
    if (endPort !== undefined) errs.push(fieldError.invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(port)) errs.push(fieldError.invalid(child(path, 'port'), port, m));
  } else if (endPort !== undefined) {
    errs.push(fieldError.invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is not specified'));
  }
}

function validatePeer(peer: Obj, path: string, errs: FieldError[]): void {
  let n = 0;
  if (peer.podSelector !== undefined && peer.podSelector !== null) { n++; errs.push(...validateLabelSelector(peer.podSelector, child(path, 'podSelector'))); }
  if (peer.namespaceSelector !== undefined && peer.namespaceSelector !== null) { n++; errs.push(...validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector'))); }
  const ipBlock = getObject(peer, 'ipBlock', path, errs);
  if (ipBlock) {
    n++;
    const bp = child(path, 'ipBlock');
    const cidr = getString(ipBlock, 'cidr', bp, errs) ?? '';
    if (cidr.length === 0) errs.push(fieldError.required(child(bp, 'cidr')));
    else errs.push(...validateCIDR(child(bp, 'cidr'), cidr));
    (getStringArray(ipBlock, 'except', bp, errs) ?? []).forEach((e, i) => errs.push(...validateCIDR(index(child(bp, 'except'), i), e)));
  }
  if (n === 0) errs.push(fieldError.required(path, 'must specify a peer'));
  else if (ipBlock && n > 1) errs.push(fieldError.forbidden(path, 'may not specify more than 1 peer'));
}

export const networkPolicyStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  specFields: ['spec'],
  defaults(obj) {
    const spec = field(obj, 'spec');
    if (!spec) return;
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = ['Ingress'];
      if (Array.isArray(spec.egress) && spec.egress.length > 0) (spec.policyTypes as string[]).push('Egress');
    }
    for (const k of ['ingress', 'egress']) {
      for (const rule of objsAt(spec[k])) for (const p of objsAt(rule.ports)) if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
    }
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    errs.push(...validateLabelSelector(spec.podSelector, 'spec.podSelector'));
    for (const [k, peerKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
      for (const { item: rule, path } of getObjectList(spec, k, 'spec', errs)) {
        for (const { item: p, path: pp } of getObjectList(rule, 'ports', path, errs)) validatePort(p, pp, errs);
        for (const { item: peer, path: pp } of getObjectList(rule, peerKey, path, errs)) validatePeer(peer, pp, errs);
      }
    }
    const types = getStringArray(spec, 'policyTypes', 'spec', errs) ?? [];
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldError.notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
    });
    if (types.length > 2) errs.push(fieldError.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
    return errs;
  },
});
