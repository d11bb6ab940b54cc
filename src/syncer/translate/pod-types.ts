// The parts of a core/v1 PodSpec the pod translation reads and rewrites. Every
// shape keeps unknown fields (index signature) so translation never drops
// what it does not know.

export interface ObjectFieldSelector { apiVersion?: string; fieldPath: string }

export interface KeyRef { name?: string; key: string; optional?: boolean }

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  configMapKeyRef?: KeyRef;
  secretKeyRef?: KeyRef;
  [field: string]: unknown;
}

export interface EnvVar { name: string; value?: string; valueFrom?: EnvVarSource }

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
  [field: string]: unknown;
}

export interface PodContainer {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  [field: string]: unknown;
}

export interface KeyToPath { key: string; path: string; mode?: number }

export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  [field: string]: unknown;
}

export interface VolumeProjection {
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIVolumeFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  configMap?: { name?: string; [field: string]: unknown };
  secret?: { secretName?: string; [field: string]: unknown };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  projected?: { sources?: VolumeProjection[]; defaultMode?: number };
  downwardAPI?: { items?: DownwardAPIVolumeFile[]; [field: string]: unknown };
  ephemeral?: { volumeClaimTemplate?: unknown };
  [field: string]: unknown;
}

export interface PodDNSConfigOption { name?: string; value?: string }

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: PodDNSConfigOption[];
}

export interface HostAlias { ip: string; hostnames?: string[] }

export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
