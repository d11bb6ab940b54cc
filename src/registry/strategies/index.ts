// The strategy of every built-in kind: strategyFor(group, version, kind).
//
// Semantics (see common.ts): create runs prepareForCreate, defaults, validate;
// update runs prepareForUpdate, defaults, then validate AND validateUpdate
// (validateUpdate holds only transition rules). specFields is set exactly for the
// kinds whose metadata.generation the API server maintains.

import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { admissionPolicyStrategies } from './admissionregistration-policies.ts';
import { apiServiceStrategy } from './apiregistration-apiservice.ts';
import { mutatingWebhookConfigurationStrategy, validatingWebhookConfigurationStrategy } from './admissionregistration-webhooks.ts';
import { controllerRevisionStrategy } from './apps-controllerrevision.ts';
import { daemonSetStrategy } from './apps-daemonset.ts';
import { deploymentStrategy } from './apps-deployment.ts';
import { replicaSetStrategy } from './apps-replicaset.ts';
import { statefulSetStrategy } from './apps-statefulset.ts';
import { hpaV1Strategy, hpaV2Strategy } from './autoscaling-hpa.ts';
import { cronJobStrategy } from './batch-cronjob.ts';
import { jobStrategy } from './batch-job.ts';
import { csrStrategy } from './certificates-csr.ts';
import { strategy } from './common.ts';
import { leaseStrategy as coordinationLeaseStrategy } from './coordination-lease.ts';
import { configMapStrategy } from './core-configmap.ts';
import { endpointsStrategy } from './core-endpoints.ts';
import { coreEventStrategy } from './core-event.ts';
import { limitRangeStrategy } from './core-limitrange.ts';
import { namespaceStrategy } from './core-namespace.ts';
import { nodeStrategy } from './core-node.ts';
import { podStrategy } from './core-pod.ts';
import { podTemplateStrategy } from './core-podtemplate.ts';
import { pvStrategy } from './core-pv.ts';
import { pvcStrategy } from './core-pvc.ts';
import { replicationControllerStrategy } from './core-replicationcontroller.ts';
import { resourceQuotaStrategy } from './core-resourcequota.ts';
import { secretStrategy } from './core-secret.ts';
import { serviceStrategy } from './core-service.ts';
import { serviceAccountStrategy } from './core-serviceaccount.ts';
import { endpointSliceStrategy } from './discovery-endpointslice.ts';
import { eventsV1EventStrategy } from './events-event.ts';
import { flowSchemaStrategy, priorityLevelConfigurationStrategy } from './flowcontrol.ts';
import { ingressClassStrategy, ingressStrategy } from './networking-ingress.ts';
import { networkPolicyStrategy } from './networking-networkpolicy.ts';
import { runtimeClassStrategy } from './node-runtimeclass.ts';
import { pdbStrategy } from './policy-pdb.ts';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategyNamespaced } from './rbac.ts';
import { priorityClassStrategy } from './scheduling-priorityclass.ts';
import { storageClassStrategy } from './storage-class.ts';
import { csiDriverStrategy, csiNodeStrategy, volumeAttachmentStrategy } from './storage-csi.ts';
import { storageExtrasStrategies } from './storage-extras.ts';

/** Strategies by "group/Kind" (the same for every served version unless overridden below). */
const byGroupKind: Record<string, Strategy> = {
  '/Namespace': namespaceStrategy,
  '/Pod': podStrategy,
  '/Service': serviceStrategy,
  '/Endpoints': endpointsStrategy,
  '/ConfigMap': configMapStrategy,
  '/Secret': secretStrategy,
  '/ServiceAccount': serviceAccountStrategy,
  '/Event': coreEventStrategy,
  '/PersistentVolumeClaim': pvcStrategy,
  '/PersistentVolume': pvStrategy,
  '/Node': nodeStrategy,
  '/ResourceQuota': resourceQuotaStrategy,
  '/LimitRange': limitRangeStrategy,
  '/PodTemplate': podTemplateStrategy,
  '/ReplicationController': replicationControllerStrategy,
  'apps/Deployment': deploymentStrategy,
  'apps/ReplicaSet': replicaSetStrategy,
  'apps/StatefulSet': statefulSetStrategy,
  'apps/DaemonSet': daemonSetStrategy,
  'apps/ControllerRevision': controllerRevisionStrategy,
  'batch/Job': jobStrategy,
  'batch/CronJob': cronJobStrategy,
  'autoscaling/HorizontalPodAutoscaler': hpaV2Strategy,
  'policy/PodDisruptionBudget': pdbStrategy,
  'rbac.authorization.k8s.io/Role': roleStrategyNamespaced,
  'rbac.authorization.k8s.io/ClusterRole': clusterRoleStrategy,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingStrategy,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingStrategy,
  'coordination.k8s.io/Lease': coordinationLeaseStrategy,
  'discovery.k8s.io/EndpointSlice': endpointSliceStrategy,
  'networking.k8s.io/Ingress': ingressStrategy,
  'networking.k8s.io/IngressClass': ingressClassStrategy,
  'networking.k8s.io/NetworkPolicy': networkPolicyStrategy,
  'storage.k8s.io/StorageClass': storageClassStrategy,
  'storage.k8s.io/CSIDriver': csiDriverStrategy,
  'storage.k8s.io/CSINode': csiNodeStrategy,
  'storage.k8s.io/VolumeAttachment': volumeAttachmentStrategy,
  'scheduling.k8s.io/PriorityClass': priorityClassStrategy,
  'node.k8s.io/RuntimeClass': runtimeClassStrategy,
  'events.k8s.io/Event': eventsV1EventStrategy,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validatingWebhookConfigurationStrategy,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': mutatingWebhookConfigurationStrategy,
  'certificates.k8s.io/CertificateSigningRequest': csrStrategy,
  'flowcontrol.apiserver.k8s.io/FlowSchema': flowSchemaStrategy,
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': priorityLevelConfigurationStrategy,
  'apiregistration.k8s.io/APIService': apiServiceStrategy,
  ...admissionPolicyStrategies,
  ...storageExtrasStrategies,
};

/** Where one version's shape differs from the others. */
const byGroupVersionKind: Record<string, Strategy> = {
  'autoscaling/v1/HorizontalPodAutoscaler': hpaV1Strategy,
};

/** For kinds not known here: metadata with the DNS-subdomain name rule, scope unchecked. */
const fallbackStrategy: Strategy = strategy({ namespaced: undefined, name: nameIsDNSSubdomain });

/** The strategy for a group, version and kind ('' is the core group). */
export function strategyFor(group: string, version: string, kind: string): Strategy {
  return byGroupVersionKind[`${group}/${version}/${kind}`] ?? byGroupKind[`${group}/${kind}`] ?? fallbackStrategy;
}

/** Whether strategyFor has a dedicated strategy (not the fallback) for this kind. */
export function hasStrategy(group: string, version: string, kind: string): boolean {
  return strategyFor(group, version, kind) !== fallbackStrategy;
}
