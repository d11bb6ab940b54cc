// Environment of host pod containers: the variables the virtual cluster's
// kubelet would have added (service links of the virtual services, the
// `kubernetes` service pointing at the kubevisor server; the host pod reads
// them from ConfigMaps, env-config-maps.ts), and references to config maps,
// secrets and pod fields rewritten for the host.

import type { KubeObject } from '../../api/types.ts';
import { hostKeyedFieldPath } from './labels.ts';
import type { EnvFromSource, EnvVar, EnvVarSource, PodContainer } from './pod-types.ts';

/** Where pods reach the kubevisor server (the address behind `kubernetes.default`). */
export interface ApiServerAddress {
  /** An IP address (host aliases need one). */
  host: string;
  port: number;
}

interface ServicePort { name?: string; port: number; protocol?: string }

/** Upstream kubelet's variable name of a service (or port) name: upper case, `-` → `_`. */
export function envVarName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The variables upstream kubelet derives from one service with a cluster IP, in its order. */
function serviceVars(name: string, clusterIP: string, ports: readonly ServicePort[]): EnvVar[] {
  if (ports.length === 0) return [];
  const prefix = envVarName(name);
  const out: EnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: clusterIP },
    { name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) },
  ];
  for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envVarName(p.name)}`, value: String(p.port) });
  // The Docker link variables; Docker special-cases the first port.
  ports.forEach((p, i) => {
    const proto = p.protocol || 'TCP';
    const url = `${proto.toLowerCase()}://${joinHostPort(clusterIP, p.port)}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push(
      { name: pp, value: url },
      { name: `${pp}_PROTO`, value: proto.toLowerCase() },
      { name: `${pp}_PORT`, value: String(p.port) },
      { name: `${pp}_ADDR`, value: clusterIP },
    );
  });
  return out;
}

function isServiceIPSet(ip: unknown): ip is string {
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

/**
 * Service-link variables of the virtual services in `namespace`, ordered by
 * service name (upstream's order is a map's: unspecified). Headless and
 * ExternalName services have none; the virtual `default/kubernetes` is left
 * out: its variables come from `kubernetesEnv`.
 */
export function serviceLinkEnv(services: readonly KubeObject[], namespace: string): EnvVar[] {
  const visible = services
    .filter((s) => s.metadata.namespace === namespace && !(namespace === 'default' && s.metadata.name === 'kubernetes'))
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const out: EnvVar[] = [];
  for (const s of visible) {
    const spec = (s.spec ?? {}) as { clusterIP?: unknown; ports?: ServicePort[] };
    if (isServiceIPSet(spec.clusterIP)) out.push(...serviceVars(s.metadata.name ?? '', spec.clusterIP, spec.ports ?? []));
  }
  return out;
}

/** `KUBERNETES_SERVICE_HOST`, `KUBERNETES_PORT_443_TCP`, ...: the kubevisor server as the `kubernetes` service (port named https). */
export function kubernetesEnv(api: ApiServerAddress): EnvVar[] {
  return serviceVars('kubernetes', api.host, [{ name: 'https', port: api.port, protocol: 'TCP' }]);
}

/** What a pod-field reference resolves to on the host. */
export interface PodFieldValues {
  name: string;
  namespace: string;
  uid: string;
  serviceAccountName: string;
}

/**
 * A `fieldRef` env source for the host. The virtual pod's name, namespace,
 * uid and service account never change, so they become literal values (safe:
 * none can hold `$(`); label and annotation references point at the host
 * pod's copy of that key (renamed if reserved), so they read the value at
 * container start as upstream does. Other fields (node name, IPs) are the
 * host's and equal to the virtual ones.
 */
function envFieldRef(src: EnvVarSource, v: PodFieldValues): { value: string } | { valueFrom: EnvVarSource } {
  const path = src.fieldRef?.fieldPath ?? '';
  switch (path) {
    case 'metadata.name': return { value: v.name };
    case 'metadata.namespace': return { value: v.namespace };
    case 'metadata.uid': return { value: v.uid };
    case 'spec.serviceAccountName': return { value: v.serviceAccountName };
  }
  const hostPath = hostKeyedFieldPath(path);
  return hostPath ? { valueFrom: { ...src, fieldRef: { ...src.fieldRef, fieldPath: hostPath } } } : { valueFrom: src };
}

function translateVar(e: EnvVar, rename: (n: string) => string, v: PodFieldValues): EnvVar {
  const src = e.valueFrom;
  if (!src) return e;
  if (src.fieldRef) {
    const r = envFieldRef(src, v);
    return 'value' in r ? { name: e.name, value: r.value } : { name: e.name, valueFrom: r.valueFrom };
  }
  const out: EnvVarSource = { ...src };
  if (src.configMapKeyRef?.name) out.configMapKeyRef = { ...src.configMapKeyRef, name: rename(src.configMapKeyRef.name) };
  if (src.secretKeyRef?.name) out.secretKeyRef = { ...src.secretKeyRef, name: rename(src.secretKeyRef.name) };
  return { ...e, valueFrom: out };
}

function translateEnvFrom(e: EnvFromSource, rename: (n: string) => string): EnvFromSource {
  const out: EnvFromSource = { ...e };
  if (e.configMapRef?.name) out.configMapRef = { ...e.configMapRef, name: rename(e.configMapRef.name) };
  if (e.secretRef?.name) out.secretRef = { ...e.secretRef, name: rename(e.secretRef.name) };
  return out;
}

/**
 * A container's env and envFrom for the host. `injected` (the ConfigMaps of
 * kubelet's variables) goes first in envFrom: upstream ranks service
 * variables below every envFrom key and env variable, and a later envFrom
 * source wins over an earlier one. `$(VAR)` references in env values still
 * expand to them: kubelet expands with every envFrom key in scope.
 */
export function toHostContainerEnv<C extends PodContainer>(
  c: C, injected: readonly EnvFromSource[], rename: (n: string) => string, v: PodFieldValues,
): C {
  const out: C = { ...c };
  if (c.env) out.env = c.env.map((e) => translateVar(e, rename, v));
  const envFrom = [...injected, ...(c.envFrom ?? []).map((e) => translateEnvFrom(e, rename))];
  if (envFrom.length > 0) out.envFrom = envFrom; else delete out.envFrom;
  return out;
}
