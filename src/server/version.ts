// The version a kubevisor server reports: the Kubernetes release whose API it serves.

/** The Kubernetes API release served (the OpenAPI and protobuf schemas are of 1.36). */
export const kubernetesMajor = '1';
export const kubernetesMinor = '36';
export const kubevisorVersion = '0.1.0';

/** The /version document; `reported` ("v1.33.0") is the release a virtual cluster reports. */
export function versionInfo(reported = `v${kubernetesMajor}.${kubernetesMinor}.0`): Record<string, string> {
  const [major, minor] = reported.replace(/^v/, '').split('.');
  return {
    major: major ?? kubernetesMajor,
    minor: minor ?? kubernetesMinor,
    gitVersion: `${reported}+kubevisor.${kubevisorVersion}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-21T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'kubevisor',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
