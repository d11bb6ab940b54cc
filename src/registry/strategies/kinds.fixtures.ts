// A realistic, valid object of every kind strategyFor knows, with its scope.
// Used by the all-kinds tests.

export interface KindFixture {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  obj: Record<string, unknown>;
}

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
};
const jobTemplate = { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'task', image: 'busybox:1.36', command: ['sh', '-c', 'date'] }] } };
// A real request (EC P-256, CN=jane, O=dev): its signature is checked.
const csr = Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----
MIHXMH8CAQAwHTEMMAoGA1UECgwDZGV2MQ0wCwYDVQQDDARqYW5lMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEOgagOzTOQS20scsI/L2c3eTEmH1flYq5ACpvoMqs
APdp/rYjZ4dHpHXdtesvMLdXjTNIwbSS/t/CEqKi7DhI+6AAMAoGCCqGSM49BAMC
A0gAMEUCIBUGIgIK4G2IqeknjxqbVylt0kPH0K6vlPmSUYq6Nm22AiEAlded1YCg
zMOOXnEOLgVSLV9coUcAnUtMxsw7rSML+EM=
-----END CERTIFICATE REQUEST-----
`).toString('base64');

export const kindFixtures: KindFixture[] = [
  { group: '', version: 'v1', kind: 'Namespace', namespaced: false, obj: { metadata: { name: 'team-a' } } },
  { group: '', version: 'v1', kind: 'Pod', namespaced: true, obj: { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: template.spec } },
  { group: '', version: 'v1', kind: 'Service', namespaced: true, obj: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } },
  { group: '', version: 'v1', kind: 'Endpoints', namespaced: true, obj: { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8080 }] }] } },
  { group: '', version: 'v1', kind: 'ConfigMap', namespaced: true, obj: { metadata: { name: 'web-config' }, data: { 'nginx.conf': 'events {}' } } },
  { group: '', version: 'v1', kind: 'Secret', namespaced: true, obj: { metadata: { name: 'web-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } } },
  { group: '', version: 'v1', kind: 'ServiceAccount', namespaced: true, obj: { metadata: { name: 'builder' } } },
  { group: '', version: 'v1', kind: 'Event', namespaced: true, obj: { metadata: { name: 'web-0.17a' }, involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default' }, reason: 'Scheduled', message: 'assigned', type: 'Normal' } },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', namespaced: true, obj: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } },
  { group: '', version: 'v1', kind: 'PersistentVolume', namespaced: false, obj: { metadata: { name: 'pv-1' }, spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt/data' }, storageClassName: 'manual' } } },
  { group: '', version: 'v1', kind: 'Node', namespaced: false, obj: { metadata: { name: 'worker-1', labels: { 'kubernetes.io/hostname': 'worker-1' } }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } } },
  { group: '', version: 'v1', kind: 'ResourceQuota', namespaced: true, obj: { metadata: { name: 'compute' }, spec: { hard: { pods: '10', 'requests.cpu': '4', 'limits.memory': '8Gi' } } } },
  { group: '', version: 'v1', kind: 'LimitRange', namespaced: true, obj: { metadata: { name: 'limits' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' }, max: { cpu: '2' } }] } } },
  { group: '', version: 'v1', kind: 'PodTemplate', namespaced: true, obj: { metadata: { name: 'tmpl' }, template } },
  { group: '', version: 'v1', kind: 'ReplicationController', namespaced: true, obj: { metadata: { name: 'web-rc' }, spec: { replicas: 2, selector: { app: 'web' }, template } } },
  { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true, obj: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } } },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true, obj: { metadata: { name: 'web-5d4f' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } } },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', namespaced: true, obj: { metadata: { name: 'db' }, spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } } },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', namespaced: true, obj: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'web' } }, template } } },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', namespaced: true, obj: { metadata: { name: 'db-7c9' }, data: { spec: {} }, revision: 1 } },
  { group: 'batch', version: 'v1', kind: 'Job', namespaced: true, obj: { metadata: { name: 'migrate' }, spec: { backoffLimit: 2, template: jobTemplate } } },
  { group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true, obj: { metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', jobTemplate: { spec: { template: jobTemplate } } } } },
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', namespaced: true, obj: { metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, targetCPUUtilizationPercentage: 70 } } },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', namespaced: true, obj: { metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } }] } } },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', namespaced: true, obj: { metadata: { name: 'web' }, spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'web' } } } } },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', namespaced: true, obj: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }] } },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', namespaced: false, obj: { metadata: { name: 'system:metrics' }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] } },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', namespaced: true, obj: { metadata: { name: 'read-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }] } },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', namespaced: false, obj: { metadata: { name: 'metrics' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:metrics' }, subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }] } },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', namespaced: true, obj: { metadata: { name: 'leader' }, spec: { holderIdentity: 'pod-1', leaseDurationSeconds: 15, renewTime: '2024-01-01T00:00:00.000000Z' } } },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', namespaced: true, obj: { metadata: { name: 'web-abc12', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', namespaced: true, obj: { metadata: { name: 'web' }, spec: { ingressClassName: 'nginx', tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }], rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }] } } },
  { group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', namespaced: false, obj: { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', namespaced: true, obj: { metadata: { name: 'deny-all' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 53, protocol: 'UDP' }] }] } } },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', namespaced: false, obj: { metadata: { name: 'fast' }, provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' }, volumeBindingMode: 'WaitForFirstConsumer' } },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSIDriver', namespaced: false, obj: { metadata: { name: 'ebs.csi.aws.com' }, spec: { attachRequired: true } } },
  { group: 'storage.k8s.io', version: 'v1', kind: 'CSINode', namespaced: false, obj: { metadata: { name: 'worker-1' }, spec: { drivers: [{ name: 'ebs.csi.aws.com', nodeID: 'i-123', topologyKeys: ['topology.ebs.csi.aws.com/zone'] }] } } },
  { group: 'storage.k8s.io', version: 'v1', kind: 'VolumeAttachment', namespaced: false, obj: { metadata: { name: 'csi-123' }, spec: { attacher: 'ebs.csi.aws.com', nodeName: 'worker-1', source: { persistentVolumeName: 'pv-1' } } } },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', namespaced: false, obj: { metadata: { name: 'high' }, value: 100000, description: 'important' } },
  { group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', namespaced: false, obj: { metadata: { name: 'gvisor' }, handler: 'runsc', overhead: { podFixed: { memory: '64Mi' } } } },
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', namespaced: true, obj: { metadata: { name: 'web-0.17c' }, regarding: { kind: 'Pod', name: 'web-0', namespace: 'default' }, reason: 'Started', note: 'started', type: 'Normal', action: 'Start', reportingController: 'kubelet', reportingInstance: 'worker-1', eventTime: '2024-01-01T00:00:00.000000Z' } },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', namespaced: false, obj: { metadata: { name: 'policy' }, webhooks: [{ name: 'policy.example.com', sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig: { service: { namespace: 'policy', name: 'webhook', path: '/validate' } }, rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] }] } },
  { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', namespaced: false, obj: { metadata: { name: 'inject' }, webhooks: [{ name: 'inject.example.com', sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1', 'v1beta1'], clientConfig: { url: 'https://inject.example.com/mutate' }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }] } },
  { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', namespaced: false, obj: { metadata: { name: 'jane' }, spec: { request: csr, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 86400 } } },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema', namespaced: false, obj: { metadata: { name: 'health' }, spec: { priorityLevelConfiguration: { name: 'exempt' }, matchingPrecedence: 2, rules: [{ subjects: [{ kind: 'Group', group: { name: 'system:unauthenticated' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }] } } },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'PriorityLevelConfiguration', namespaced: false, obj: { metadata: { name: 'workload' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 40, limitResponse: { type: 'Queue', queuing: { queues: 32, handSize: 4 } } } } } },
];
