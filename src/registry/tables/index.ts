// Which server-side table a kind is printed with. A real API server prints
// every version of a kind from the same internal type, so tables are chosen
// by group and kind; the version only matters where field shapes differ, and
// those tables read either shape.

import type { TableDef } from '../types.ts';
import {
  mutatingAdmissionPolicyBindingTable, mutatingAdmissionPolicyTable, mutatingWebhookConfigurationTable,
  validatingAdmissionPolicyBindingTable, validatingAdmissionPolicyTable, validatingWebhookConfigurationTable,
} from './admission.ts';
import { horizontalPodAutoscalerTable, scaleTable } from './autoscaling.ts';
import {
  componentStatusTable, configMapTable, namespaceTable, nodeTable, resourceQuotaTable, secretTable,
  serviceAccountTable,
} from './core.ts';
import { deviceClassTable, resourceClaimTable, resourceClaimTemplateTable, resourceSliceTable } from './dra.ts';
import { eventTable, eventsV1Table } from './events.ts';
import { age, column, formatRFC3339, nameColumn, nameOf, parseTime } from './format.ts';
import {
  apiServiceTable, certificateSigningRequestTable, clusterTrustBundleTable, flowSchemaTable, leaseCandidateTable,
  leaseTable, podDisruptionBudgetTable, priorityClassTable, priorityLevelConfigurationTable, runtimeClassTable,
  storageVersionMigrationTable, storageVersionTable,
} from './misc.ts';
import { ingressClassTable, ingressTable, ipAddressTable, networkPolicyTable, serviceCIDRTable } from './networking.ts';
import { podTable, podTemplateTable } from './pods.ts';
import { clusterRoleBindingTable, roleBindingTable } from './rbac.ts';
import { endpointSliceTable, endpointsTable, serviceTable } from './services.ts';
import {
  csiDriverTable, csiNodeTable, csiStorageCapacityTable, persistentVolumeClaimTable, persistentVolumeTable,
  storageClassTable, volumeAttachmentTable, volumeAttributesClassTable,
} from './storage.ts';
import {
  controllerRevisionTable, cronJobTable, daemonSetTable, deploymentTable, jobTable, replicaSetTable,
  replicationControllerTable, statefulSetTable,
} from './workloads.ts';

export { humanDuration, translateTimestampSince } from './format.ts';
export { formatQuantity } from './quantity.ts';

/**
 * What kube-apiserver returns for a built-in kind that has no printer
 * (Role, ClusterRole, LimitRange, CustomResourceDefinition): the name and
 * the creation time as an RFC 3339 date.
 */
export const defaultTable: TableDef = {
  columns: [
    nameColumn(),
    column('Created At', 'date', 'When the object was created.'),
  ],
  cells: (obj) => [nameOf(obj), formatRFC3339(obj.metadata.creationTimestamp)],
};

/**
 * What the API server returns for a custom resource whose version declares
 * no additionalPrinterColumns: the name and an "Age" column of type date,
 * whose cell is already the human duration. Without a creationTimestamp the
 * cell is null.
 */
export const customResourceDefaultTable: TableDef = {
  columns: [
    nameColumn(),
    column('Age', 'date', 'Time since the object was created.'),
  ],
  cells(obj, now) {
    const ts = obj.metadata.creationTimestamp;
    if (ts === undefined || ts === null) return [nameOf(obj), null];
    if (parseTime(ts) === undefined) return [nameOf(obj), '<invalid>'];
    return [nameOf(obj), age(obj, now)];
  },
};

const BY_GROUP_KIND: Record<string, TableDef> = {
  // core
  '/Pod': podTable,
  '/PodTemplate': podTemplateTable,
  '/ReplicationController': replicationControllerTable,
  '/Service': serviceTable,
  '/Endpoints': endpointsTable,
  '/Node': nodeTable,
  '/Namespace': namespaceTable,
  '/Event': eventTable,
  '/ConfigMap': configMapTable,
  '/Secret': secretTable,
  '/ServiceAccount': serviceAccountTable,
  '/PersistentVolume': persistentVolumeTable,
  '/PersistentVolumeClaim': persistentVolumeClaimTable,
  '/ResourceQuota': resourceQuotaTable,
  '/ComponentStatus': componentStatusTable,
  '/LimitRange': defaultTable,
  // apps, batch, autoscaling, policy
  'apps/Deployment': deploymentTable,
  'apps/ReplicaSet': replicaSetTable,
  'apps/StatefulSet': statefulSetTable,
  'apps/DaemonSet': daemonSetTable,
  'apps/ControllerRevision': controllerRevisionTable,
  'batch/Job': jobTable,
  'batch/CronJob': cronJobTable,
  'autoscaling/HorizontalPodAutoscaler': horizontalPodAutoscalerTable,
  'autoscaling/Scale': scaleTable,
  'policy/PodDisruptionBudget': podDisruptionBudgetTable,
  // discovery, events, networking
  'discovery.k8s.io/EndpointSlice': endpointSliceTable,
  'events.k8s.io/Event': eventsV1Table,
  'networking.k8s.io/Ingress': ingressTable,
  'networking.k8s.io/IngressClass': ingressClassTable,
  'networking.k8s.io/NetworkPolicy': networkPolicyTable,
  'networking.k8s.io/ServiceCIDR': serviceCIDRTable,
  'networking.k8s.io/IPAddress': ipAddressTable,
  // rbac
  'rbac.authorization.k8s.io/Role': defaultTable,
  'rbac.authorization.k8s.io/ClusterRole': defaultTable,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingTable,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingTable,
  // storage
  'storage.k8s.io/StorageClass': storageClassTable,
  'storage.k8s.io/VolumeAttributesClass': volumeAttributesClassTable,
  'storage.k8s.io/CSIDriver': csiDriverTable,
  'storage.k8s.io/CSINode': csiNodeTable,
  'storage.k8s.io/CSIStorageCapacity': csiStorageCapacityTable,
  'storage.k8s.io/VolumeAttachment': volumeAttachmentTable,
  // coordination, scheduling, node
  'coordination.k8s.io/Lease': leaseTable,
  'coordination.k8s.io/LeaseCandidate': leaseCandidateTable,
  'scheduling.k8s.io/PriorityClass': priorityClassTable,
  'node.k8s.io/RuntimeClass': runtimeClassTable,
  // admission
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': mutatingWebhookConfigurationTable,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validatingWebhookConfigurationTable,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': validatingAdmissionPolicyTable,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': validatingAdmissionPolicyBindingTable,
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': mutatingAdmissionPolicyTable,
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding': mutatingAdmissionPolicyBindingTable,
  // certificates, flow control
  'certificates.k8s.io/CertificateSigningRequest': certificateSigningRequestTable,
  'certificates.k8s.io/ClusterTrustBundle': clusterTrustBundleTable,
  'flowcontrol.apiserver.k8s.io/FlowSchema': flowSchemaTable,
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': priorityLevelConfigurationTable,
  // dynamic resource allocation
  'resource.k8s.io/DeviceClass': deviceClassTable,
  'resource.k8s.io/ResourceClaim': resourceClaimTable,
  'resource.k8s.io/ResourceClaimTemplate': resourceClaimTemplateTable,
  'resource.k8s.io/ResourceSlice': resourceSliceTable,
  // API machinery
  'apiextensions.k8s.io/CustomResourceDefinition': defaultTable,
  'apiregistration.k8s.io/APIService': apiServiceTable,
  'internal.apiserver.k8s.io/StorageVersion': storageVersionTable,
  'storagemigration.k8s.io/StorageVersionMigration': storageVersionMigrationTable,
};

/**
 * The table a real API server prints for a built-in kind: its own printer,
 * or `defaultTable` for built-in kinds that have none. Undefined for kinds
 * this module does not know (custom resources): use
 * `customResourceDefaultTable` for those when the CRD declares no columns.
 * The version is accepted for callers' convenience; every version of a kind
 * shares one printer.
 */
export function tableFor(group: string, version: string, kind: string): TableDef | undefined {
  void version;
  return BY_GROUP_KIND[`${group}/${kind}`];
}
