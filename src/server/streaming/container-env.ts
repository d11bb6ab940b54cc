// A simulated container's environment, computed as a kubelet computes it when
// the container starts: the envFrom sources in order (a later one wins over an
// earlier one), then env in order (it wins over envFrom), each `value` with
// its `$(VAR)` references expanded against what is defined so far. A missing
// source that is not optional would keep a real container from starting; a
// simulated one runs anyway, so it is left out. No service-link variables are
// added: simulated nodes have none (pods synced from another kubevisor get
// theirs from ConfigMaps, through envFrom).
import type { KubeObject } from '../../api/types.ts';

/** The objects of the pod's namespace a container's environment reads. */
export interface EnvSources {
  /** A ConfigMap's `data`. */
  configMap(name: string): Record<string, string> | undefined;
  /** A Secret's `data`, decoded. */
  secret(name: string): Record<string, string> | undefined;
}

interface KeyRef { name?: string; key?: string }
interface EnvVar { name?: unknown; value?: unknown; valueFrom?: { fieldRef?: { fieldPath?: string }; configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }
interface EnvFrom { prefix?: string; configMapRef?: { name?: string }; secretRef?: { name?: string } }
interface Container { name?: string; env?: EnvVar[]; envFrom?: EnvFrom[] }

/**
 * `$(NAME)` replaced by NAME's value when `lookup` knows it (kept as written
 * otherwise), `$$` by `$`; any other `$` stays.
 */
export function expandEnvValue(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const next = input[i + 1];
    if (input[i] !== '$' || next === undefined) { out += input[i++]; continue; }
    if (next === '$') { out += '$'; i += 2; continue; }
    if (next !== '(') { out += '$'; i++; continue; }
    const close = input.indexOf(')', i + 2);
    if (close < 0) { out += input.slice(i); break; }
    const name = input.slice(i + 2, close);
    out += lookup(name) ?? `$(${name})`;
    i = close + 1;
  }
  return out;
}

/** Names a process environment can hold (upstream's relaxed rule: printable ASCII without `=`). */
function usableName(name: string): boolean {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name);
}

const keyed = /^metadata\.(labels|annotations)\['(.*)'\]$/;

function podField(pod: KubeObject, path: string | undefined): string | undefined {
  const spec = (pod.spec ?? {}) as { nodeName?: string; serviceAccountName?: string };
  const status = (pod.status ?? {}) as { podIP?: string; hostIP?: string; podIPs?: { ip: string }[]; hostIPs?: { ip: string }[] };
  const m = pod.metadata;
  switch (path) {
    case 'metadata.name': return m.name;
    case 'metadata.namespace': return m.namespace;
    case 'metadata.uid': return m.uid;
    case 'spec.nodeName': return spec.nodeName;
    case 'spec.serviceAccountName': return spec.serviceAccountName;
    case 'status.podIP': return status.podIP;
    case 'status.hostIP': return status.hostIP;
    case 'status.podIPs': return status.podIPs?.map((p) => p.ip).join(',');
    case 'status.hostIPs': return status.hostIPs?.map((p) => p.ip).join(',');
  }
  const k = keyed.exec(path ?? '');
  return k ? (k[1] === 'labels' ? m.labels : m.annotations)?.[k[2]] : undefined;
}

function valueOf(e: EnvVar, pod: KubeObject, sources: EnvSources | undefined, defined: Record<string, string>): string | undefined {
  const from = e.valueFrom;
  if (!from) return expandEnvValue(typeof e.value === 'string' ? e.value : '', (n) => defined[n]);
  if (from.fieldRef) return podField(pod, from.fieldRef.fieldPath);
  const ref = from.configMapKeyRef ?? from.secretKeyRef;
  if (!ref?.name || !ref.key) return undefined;
  return (from.configMapKeyRef ? sources?.configMap(ref.name) : sources?.secret(ref.name))?.[ref.key];
}

/** The environment of container `name` of `pod` (empty for a container it does not have). */
export function containerEnvironment(pod: KubeObject, name: string, sources?: EnvSources): Record<string, string> {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const all = ['containers', 'initContainers', 'ephemeralContainers'].flatMap((f) => (Array.isArray(spec[f]) ? spec[f] as Container[] : []));
  const c = all.find((x) => x?.name === name);
  const env: Record<string, string> = {};
  if (!c) return env;
  for (const f of Array.isArray(c.envFrom) ? c.envFrom : []) {
    const data = f.configMapRef?.name ? sources?.configMap(f.configMapRef.name) : f.secretRef?.name ? sources?.secret(f.secretRef.name) : undefined;
    for (const [k, v] of Object.entries(data ?? {})) {
      const key = (f.prefix ?? '') + k;
      if (usableName(key) && typeof v === 'string') env[key] = v;
    }
  }
  for (const e of Array.isArray(c.env) ? c.env : []) {
    if (typeof e?.name !== 'string') continue;
    const v = valueOf(e, pod, sources, env);
    if (v !== undefined) env[e.name] = v;
  }
  return env;
}
