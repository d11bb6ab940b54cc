// networking.k8s.io tables: Ingress, IngressClass, NetworkPolicy,
// ServiceCIDR, IPAddress.

import type { TableDef } from '../types.ts';
import { age, ageColumn, arr, column, formatLabelSelector, isObj, nameColumn, nameOf, rec, str } from './format.ts';
import { loadBalancerAddresses } from './services.ts';

/** Up to three rule hosts, "*" when no rule names a host. */
function ingressHosts(rules: unknown): string {
  const list = arr(rules).map(rec);
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of list) {
    if (hosts.length === max) more = true;
    if (!more && str(rule.host) !== '') hosts.push(str(rule.host));
  }
  if (hosts.length === 0) return '*';
  const text = hosts.join(',');
  return more ? `${text} + ${list.length - max} more...` : text;
}

export const ingressTable: TableDef = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'IngressClass that handles this ingress.'),
    column('Hosts', 'string', 'Host names the rules match.'),
    column('Address', 'string', 'Addresses of the load balancer serving the ingress.'),
    column('Ports', 'string', 'Ports the ingress listens on.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [
      nameOf(obj),
      typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>',
      ingressHosts(spec.rules),
      loadBalancerAddresses(rec(obj.status).loadBalancer),
      arr(spec.tls).length !== 0 ? '80, 443' : '80',
      age(obj, now),
    ];
  },
};

export const ingressClassTable: TableDef = {
  columns: [
    nameColumn('Name of the ingress class.'),
    column('Controller', 'string', 'Controller that implements the class.'),
    column('Parameters', 'string', 'Object holding extra configuration for the class.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    let parameters = '<none>';
    if (isObj(spec.parameters)) {
      const p = spec.parameters;
      const kind = typeof p.apiGroup === 'string' ? `${str(p.kind)}.${p.apiGroup}` : str(p.kind);
      parameters = `${kind}/${str(p.name)}`;
    }
    return [nameOf(obj), str(spec.controller), parameters, age(obj, now)];
  },
};

export const networkPolicyTable: TableDef = {
  columns: [
    nameColumn(),
    column('Pod-Selector', 'string', 'Labels of the pods the policy applies to.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const selector = rec(obj.spec).podSelector;
    return [nameOf(obj), formatLabelSelector(isObj(selector) ? selector : {}), age(obj, now)];
  },
};

export const serviceCIDRTable: TableDef = {
  columns: [
    nameColumn('Name of the service CIDR.'),
    column('CIDRs', 'string', 'IP ranges service addresses are taken from.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), arr(rec(obj.spec).cidrs).map(str).join(','), age(obj, now)];
  },
};

/**
 * IPAddress. Upstream declares only two columns but also emits an age cell;
 * kubectl drops cells beyond the columns, so only the declared two are kept.
 */
export const ipAddressTable: TableDef = {
  columns: [
    nameColumn('The IP address.'),
    column('ParentRef', 'string', 'The object the address is allocated to.'),
  ],
  cells(obj) {
    const ref = rec(obj.spec).parentRef;
    let parent = '<none>';
    if (isObj(ref)) {
      const resource = str(ref.resource);
      const group = str(ref.group);
      parent = (group ? `${resource}.${group}` : resource).toLowerCase();
      if (str(ref.namespace) !== '') parent += `/${str(ref.namespace)}`;
      parent += `/${str(ref.name)}`;
    }
    return [nameOf(obj), parent];
  },
};
