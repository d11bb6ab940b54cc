// Core group tables that are not pods, services or storage: Namespace, Node,
// ConfigMap, Secret, ServiceAccount, ResourceQuota, ComponentStatus.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import {
  age, ageColumn, arr, byteCompare, column, nameColumn, nameOf, rec, sortedStrings, str, wide,
} from './format.ts';
import { formatQuantity } from './quantity.ts';

export const namespaceTable: TableDef = {
  columns: [
    nameColumn('Name of the namespace.'),
    column('Status', 'string', 'Lifecycle phase of the namespace.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), str(rec(obj.status).phase), age(obj, now)];
  },
};

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Roles from node-role.kubernetes.io/<role> keys and the kubernetes.io/role value. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX)) {
      const role = key.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return sortedStrings(roles);
}

function nodeStatus(node: KubeObject): string {
  const parts: string[] = [];
  const ready = arr(rec(node.status).conditions).map(rec).findLast((c) => c.type === 'Ready');
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (parts.length === 0) parts.push('Unknown');
  if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeAddress(status: Record<string, unknown>, type: string): string {
  const found = arr(status.addresses).map(rec).find((a) => a.type === type);
  return found ? str(found.address) : '<none>';
}

export const nodeTable: TableDef = {
  columns: [
    nameColumn('Name of the node.'),
    column('Status', 'string', 'Readiness of the node, and whether scheduling is disabled.'),
    column('Roles', 'string', 'Roles taken from the node\'s role labels.'),
    ageColumn(),
    column('Version', 'string', 'Version the node\'s kubelet reports.'),
    wide('Internal-IP', 'string', 'First internal address of the node.'),
    wide('External-IP', 'string', 'First external address of the node.'),
    wide('OS-Image', 'string', 'Operating system image the node reports.'),
    wide('Kernel-Version', 'string', 'Kernel version the node reports.'),
    wide('Container-Runtime', 'string', 'Container runtime and version the node reports.'),
  ],
  cells(node, now) {
    const status = rec(node.status);
    const info = rec(status.nodeInfo);
    const roles = nodeRoles(node.metadata.labels).join(',');
    return [
      nameOf(node), nodeStatus(node), roles || '<none>', age(node, now), str(info.kubeletVersion),
      nodeAddress(status, 'InternalIP'), nodeAddress(status, 'ExternalIP'),
      str(info.osImage) || '<unknown>', str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

export const configMapTable: TableDef = {
  columns: [
    nameColumn(),
    column('Data', 'string', 'Number of keys, text and binary.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length, age(obj, now)];
  },
};

export const secretTable: TableDef = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'Kind of secret, which fixes the keys it must hold.'),
    column('Data', 'string', 'Number of keys.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), str(obj.type), Object.keys(rec(obj.data)).length, age(obj, now)];
  },
};

export const serviceAccountTable: TableDef = {
  columns: [
    nameColumn(),
    column('Secrets', 'string', 'Number of secrets listed on the account.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), arr(obj.secrets).length, age(obj, now)];
  },
};

/** "cpu: 100m/1, pods: 2/10" in the request column, "limits.*" in the limit column. */
export function quotaUsage(status: unknown): [string, string] {
  const hard = rec(rec(status).hard);
  const used = rec(rec(status).used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort(byteCompare)) {
    const text = `${name}: ${formatQuantity(used[name])}/${formatQuantity(hard[name])}`;
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
  }
  return [requests.join(', '), limits.join(', ')];
}

export const resourceQuotaTable: TableDef = {
  columns: [
    nameColumn(),
    column('Request', 'string', 'Used and hard amounts of the non-limit resources.'),
    column('Limit', 'string', 'Used and hard amounts of the limits.* resources.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const [requests, limits] = quotaUsage(obj.status);
    return [nameOf(obj), requests, limits, age(obj, now)];
  },
};

export const componentStatusTable: TableDef = {
  columns: [
    nameColumn('Name of the component.'),
    column('Status', 'string', 'Healthy, Unhealthy or Unknown.'),
    column('Message', 'string', 'Message from the health check.'),
    column('Error', 'string', 'Error from the health check.'),
  ],
  cells(obj) {
    let status = 'Unknown';
    let message = '';
    let error = '';
    const healthy = arr(obj.conditions).map(rec).find((c) => c.type === 'Healthy');
    if (healthy) {
      status = healthy.status === 'True' ? 'Healthy' : 'Unhealthy';
      message = str(healthy.message);
      error = str(healthy.error);
    }
    return [nameOf(obj), status, message, error];
  },
};
