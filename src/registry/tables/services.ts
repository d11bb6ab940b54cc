// Service, Endpoints and EndpointSlice tables.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import {
  age, ageColumn, arr, column, formatLabels, int, listWithMore, nameColumn, nameOf, rec, sortedStrings, str, wide,
} from './format.ts';

/** Unique load-balancer ingress IPs (or hostnames), sorted and comma-joined. */
export function loadBalancerAddresses(status: unknown): string {
  const seen = new Set<string>();
  for (const raw of arr(rec(status).ingress)) {
    const ing = rec(raw);
    const value = str(ing.ip) || str(ing.hostname);
    if (value) seen.add(value);
  }
  return sortedStrings(seen).join(',');
}

function externalIP(svc: KubeObject, type: string): string {
  const spec = rec(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(rec(svc.status).loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
  }
  return '<unknown>';
}

function ports(spec: Record<string, unknown>): string {
  const text = arr(spec.ports).map((raw) => {
    const p = rec(raw);
    const protocol = str(p.protocol) || 'TCP';
    const nodePort = int(p.nodePort);
    return nodePort > 0 ? `${int(p.port)}:${nodePort}/${protocol}` : `${int(p.port)}/${protocol}`;
  }).join(',');
  return text || '<none>';
}

export const serviceTable: TableDef = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'How the service is exposed.'),
    column('Cluster-IP', 'string', 'The virtual IP inside the cluster.'),
    column('External-IP', 'string', 'Addresses reachable from outside the cluster.'),
    column('Port(s)', 'string', 'Service ports, with node ports where allocated.'),
    ageColumn(),
    wide('Selector', 'string', 'Labels of the pods that back the service.'),
  ],
  cells(svc, now) {
    const spec = rec(svc.spec);
    const type = str(spec.type) || 'ClusterIP';
    const clusterIP = str(spec.clusterIP) || str(arr(spec.clusterIPs)[0]) || '<none>';
    return [
      nameOf(svc), type, clusterIP, externalIP(svc, type), ports(spec), age(svc, now), formatLabels(spec.selector),
    ];
  },
};

/** "host:port", bracketing IPv6 hosts. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Up to three endpoint addresses ("10.0.0.1:80"), then "+ N more...". */
function formatEndpoints(obj: KubeObject): string {
  const subsets = arr(obj.subsets).map(rec);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss.addresses).map((a) => str(rec(a).ip));
    const portList = arr(ss.ports).map(rec);
    if (portList.length === 0) {
      count += addresses.length;
      for (const ip of addresses) {
        if (list.length === max) break;
        list.push(ip);
      }
      continue;
    }
    for (const port of portList) {
      count += addresses.length;
      for (const ip of addresses) {
        if (list.length === max) break;
        list.push(joinHostPort(ip, int(port.port)));
      }
    }
  }
  const text = list.join(',');
  return count > max && list.length === max ? `${text} + ${count - max} more...` : text;
}

export const endpointsTable: TableDef = {
  columns: [
    nameColumn(),
    column('Endpoints', 'string', 'Addresses and ports behind the service.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), formatEndpoints(obj), age(obj, now)];
  },
};

export const endpointSliceTable: TableDef = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', 'Kind of addresses in the slice.'),
    column('Ports', 'string', 'Ports exposed by the endpoints.'),
    column('Endpoints', 'string', 'Endpoint addresses in the slice.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const portList = arr(obj.ports).map((raw) => {
      const p = rec(raw);
      if (typeof p.port === 'number') return String(Math.trunc(p.port));
      if (typeof p.name === 'string') return p.name;
      return '*';
    });
    const addresses = arr(obj.endpoints).flatMap((e) => arr(rec(e).addresses).map(str));
    return [
      nameOf(obj), str(obj.addressType), listWithMore(portList, 3), listWithMore(addresses, 3), age(obj, now),
    ];
  },
};
