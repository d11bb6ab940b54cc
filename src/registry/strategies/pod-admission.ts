// What kube-apiserver's default admission plugins add to every new pod, so a
// created pod looks like one from a real cluster:
//  - ServiceAccount: serviceAccountName "default" and the projected
//    kube-api-access-xxxxx token volume mounted in each container;
//  - DefaultTolerationSeconds: 300s tolerations for not-ready and unreachable nodes.
// These run on create only. They assume every ServiceAccount automounts its token
// (the store is not consulted). Priority needs the cluster's PriorityClasses: it is
// an admission plugin of the store (controllers/policy/priority.ts).

import { randomBytes } from 'node:crypto';
import { isObj, objsAt, strAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';

const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += suffixAlphabet[b % suffixAlphabet.length];
  return s;
}

/** ServiceAccount admission: default account and the token volume. */
export function admitServiceAccount(pod: Obj, spec: Obj): void {
  const meta = isObj(pod.metadata) ? pod.metadata : {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  if (Object.hasOwn(annotations, 'kubernetes.io/config.mirror')) return;
  if ((strAt(spec.serviceAccountName) ?? '') === '') {
    spec.serviceAccountName = (strAt(spec.serviceAccount) ?? '') || 'default';
  }
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken === false) return;
  const containers = [...objsAt(spec.initContainers), ...objsAt(spec.containers)];
  const alreadyMounted = (c: Obj): boolean => objsAt(c.volumeMounts).some((m) => m.mountPath === serviceAccountMountPath);
  if (containers.every(alreadyMounted)) return;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : (spec.volumes = []);
  if (!Array.isArray(volumes)) return;
  const name = `kube-api-access-${randomSuffix(5)}`;
  volumes.push({
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
  for (const c of containers) {
    if (alreadyMounted(c)) continue;
    if (c.volumeMounts === undefined || c.volumeMounts === null) c.volumeMounts = [];
    if (Array.isArray(c.volumeMounts)) c.volumeMounts.push({ name, readOnly: true, mountPath: serviceAccountMountPath });
  }
}

/** DefaultTolerationSeconds admission. */
export function admitDefaultTolerations(spec: Obj): void {
  const tolerations = spec.tolerations === undefined || spec.tolerations === null ? [] : spec.tolerations;
  if (!Array.isArray(tolerations)) return;
  const tolerates = (key: string): boolean => tolerations.some((t) => isObj(t) &&
    (t.key === key || t.key === undefined || t.key === '') && (t.effect === 'NoExecute' || t.effect === undefined || t.effect === ''));
  const add: Obj[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (add.length > 0) spec.tolerations = [...tolerations, ...add];
}
