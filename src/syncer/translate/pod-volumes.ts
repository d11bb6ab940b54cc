// Volumes of host pods: references to config maps, secrets and claims renamed,
// service account tokens served from the pod's token Secret (which the syncer
// fills with tokens the virtual cluster issues), downward API files pointed at
// the host pod's copies of the virtual values.

import { ANN_NAME, ANN_NAMESPACE, ANN_POD_ANNOTATIONS, ANN_POD_LABELS, ANN_UID } from './keys.ts';
import { hostKeyedFieldPath } from './labels.ts';
import { hash10 } from './names.ts';
import type { DownwardAPIVolumeFile, KeyToPath, Volume, VolumeProjection } from './pod-types.ts';

/** Keys of the token Secret besides the tokens. */
export const TOKEN_SECRET_CA_KEY = 'ca.crt';
export const TOKEN_SECRET_NAMESPACE_KEY = 'namespace';

/**
 * A token the syncer must request from the virtual cluster (TokenRequest for
 * the virtual pod's service account, bound to the virtual pod) and keep fresh
 * under `key` in the token Secret.
 */
export interface TokenRequest {
  key: string;
  /** Empty: the virtual API server's own audiences. */
  audiences: string[];
  /** The shortest lifetime any volume asked for. */
  expirationSeconds: number;
}

/** The key of a token in the token Secret: `token` for the API audience, else per audience. */
export function tokenKey(audience: string | undefined): string {
  return audience ? `token-${hash10(audience)}` : 'token';
}

const DEFAULT_TOKEN_SECONDS = 3600;

/** The automatic volume upstream's service account admission adds. */
export function isKubeApiAccessVolume(v: Volume): boolean {
  return v.name.startsWith('kube-api-access-') && v.projected !== undefined;
}

export interface VolumeTranslation {
  volumes: Volume[];
  tokens: TokenRequest[];
  /** The host pod needs the `kubevisor.dev/labels` / `annotations` copies. */
  needsLabels: boolean;
  needsAnnotations: boolean;
  warnings: string[];
}

const wholeFieldAnnotation: Record<string, string> = {
  'metadata.name': ANN_NAME,
  'metadata.namespace': ANN_NAMESPACE,
  'metadata.uid': ANN_UID,
  'metadata.labels': ANN_POD_LABELS,
  'metadata.annotations': ANN_POD_ANNOTATIONS,
};

const secretRefFields = ['csi:nodePublishSecretRef', 'cephfs:secretRef', 'rbd:secretRef', 'iscsi:secretRef',
  'flexVolume:secretRef', 'scaleIO:secretRef', 'storageos:secretRef', 'cinder:secretRef'] as const;

/**
 * Translates the volumes of a virtual pod. `rename` maps a virtual object name
 * of the pod's namespace to its host name; `tokenSecret` is the host Secret
 * the syncer keeps the pod's tokens (plus `ca.crt` and `namespace`) in.
 */
export function toHostVolumes(
  volumes: readonly Volume[], podName: string, rename: (n: string) => string, tokenSecret: string,
): VolumeTranslation {
  const tokens = new Map<string, TokenRequest>();
  const result: VolumeTranslation = { volumes: [], tokens: [], needsLabels: false, needsAnnotations: false, warnings: [] };

  const downwardFile = (f: DownwardAPIVolumeFile): DownwardAPIVolumeFile => {
    if (!f.fieldRef) return f;
    const path = f.fieldRef.fieldPath;
    if (path === 'metadata.labels') result.needsLabels = true;
    if (path === 'metadata.annotations') result.needsAnnotations = true;
    const ann = wholeFieldAnnotation[path];
    const hostPath = ann ? `metadata.annotations['${ann}']` : hostKeyedFieldPath(path);
    return hostPath ? { ...f, fieldRef: { ...f.fieldRef, fieldPath: hostPath } } : f;
  };

  const token = (src: NonNullable<VolumeProjection['serviceAccountToken']>): KeyToPath => {
    const key = tokenKey(src.audience);
    const seconds = src.expirationSeconds ?? DEFAULT_TOKEN_SECONDS;
    const prev = tokens.get(key);
    if (!prev || seconds < prev.expirationSeconds) {
      tokens.set(key, { key, audiences: src.audience ? [src.audience] : [], expirationSeconds: seconds });
    }
    return { key, path: src.path };
  };

  const projected = (v: Volume): Volume => {
    const apiAccess = isKubeApiAccessVolume(v);
    const secretItems: KeyToPath[] = [];
    let secretAt = -1;
    const sources: VolumeProjection[] = [];
    const toSecret = (items: KeyToPath[]) => {
      if (secretAt < 0) { secretAt = sources.length; sources.push({}); }
      secretItems.push(...items);
    };
    for (const s of v.projected?.sources ?? []) {
      if (s.serviceAccountToken) { toSecret([token(s.serviceAccountToken)]); continue; }
      if (apiAccess && s.configMap?.name === 'kube-root-ca.crt') {
        const items = s.configMap.items ?? [{ key: TOKEN_SECRET_CA_KEY, path: TOKEN_SECRET_CA_KEY }];
        toSecret(items.filter((i) => i.key === TOKEN_SECRET_CA_KEY));
        continue;
      }
      if (s.configMap?.name) { sources.push({ ...s, configMap: { ...s.configMap, name: rename(s.configMap.name) } }); continue; }
      if (s.secret?.name) { sources.push({ ...s, secret: { ...s.secret, name: rename(s.secret.name) } }); continue; }
      if (s.downwardAPI) {
        const items = s.downwardAPI.items ?? [];
        const ns = apiAccess ? items.filter((i) => i.fieldRef?.fieldPath === 'metadata.namespace') : [];
        if (ns.length > 0) {
          toSecret(ns.map((i) => ({ key: TOKEN_SECRET_NAMESPACE_KEY, path: i.path, ...(i['mode'] === undefined ? {} : { mode: i['mode'] as number }) })));
        }
        const rest = items.filter((i) => !ns.includes(i));
        if (rest.length > 0 || ns.length === 0) sources.push({ ...s, downwardAPI: { ...s.downwardAPI, items: rest.map(downwardFile) } });
        continue;
      }
      if (s['clusterTrustBundle']) result.warnings.push(`volume ${v.name}: clusterTrustBundle sources read the host's bundles`);
      sources.push(s);
    }
    if (secretAt >= 0) sources[secretAt] = { secret: { name: tokenSecret, items: secretItems } };
    return { ...v, projected: { ...v.projected, sources } };
  };

  for (const v of volumes) {
    let out: Volume = v;
    if (v.configMap?.name) out = { ...v, configMap: { ...v.configMap, name: rename(v.configMap.name) } };
    else if (v.secret?.secretName) out = { ...v, secret: { ...v.secret, secretName: rename(v.secret.secretName) } };
    else if (v.persistentVolumeClaim) {
      out = { ...v, persistentVolumeClaim: { ...v.persistentVolumeClaim, claimName: rename(v.persistentVolumeClaim.claimName) } };
    } else if (v.ephemeral) {
      // The virtual cluster creates the claim `<pod>-<volume>`; the syncer copies it like any claim.
      out = { name: v.name, persistentVolumeClaim: { claimName: rename(`${podName}-${v.name}`) } };
    } else if (v.projected) out = projected(v);
    else if (v.downwardAPI) out = { ...v, downwardAPI: { ...v.downwardAPI, items: (v.downwardAPI.items ?? []).map(downwardFile) } };
    else if (typeof v['azureFile'] === 'object' && v['azureFile'] !== null) {
      const af = v['azureFile'] as { secretName?: string };
      if (af.secretName) out = { ...v, azureFile: { ...af, secretName: rename(af.secretName) } };
    } else {
      for (const spec of secretRefFields) {
        const [field, ref] = spec.split(':') as [string, string];
        const src = v[field] as Record<string, { name?: string } | undefined> | undefined;
        const name = src?.[ref]?.name;
        if (name) out = { ...v, [field]: { ...src, [ref]: { ...src[ref], name: rename(name) } } };
      }
    }
    result.volumes.push(out);
  }
  result.tokens = [...tokens.values()];
  return result;
}
