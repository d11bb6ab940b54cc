// The syncer's translation layer: pure functions from virtual objects to their
// host copies and from host objects back to virtual status.

export * from './keys.ts';
export * from './names.ts';
export * from './markers.ts';
export * from './labels.ts';
export * from './selectors.ts';
export type * from './pod-types.ts';
export {
  type ApiServerAddress, envVarName, kubernetesEnv, serviceLinkEnv, toHostContainerEnv, type PodFieldValues,
} from './pod-env.ts';
export { podHostname, toHostAliases, toHostDns, type DnsSettings } from './pod-dns.ts';
export {
  TOKEN_SECRET_CA_KEY, TOKEN_SECRET_NAMESPACE_KEY, isKubeApiAccessVolume, tokenKey, toHostVolumes,
  type TokenRequest, type VolumeTranslation,
} from './pod-volumes.ts';
export {
  ENV_CONFIG_MAP_KIND, KUBERNETES_ENV, SERVICE_LINKS_ENV, envConfigMapName, envConfigMapOf, injectedEnvFrom,
  kubernetesEnvConfigMap, serviceLinksConfigMap, type EnvConfigMapId,
} from './env-config-maps.ts';
export { formatDownwardMap, toHostPod, type EnforcedScheduling, type HostPod, type PodContext } from './pod.ts';
export { fromHostPodStatus, type PodBackSync } from './pod-status.ts';
export * from './service.ts';
export * from './objects.ts';
