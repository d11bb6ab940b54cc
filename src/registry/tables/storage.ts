// Storage tables: PersistentVolume, PersistentVolumeClaim, StorageClass,
// VolumeAttributesClass, CSIDriver, CSINode, CSIStorageCapacity,
// VolumeAttachment.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import { age, ageColumn, arr, bool, column, nameColumn, nameOf, rec, str, wide } from './format.ts';
import { formatQuantity } from './quantity.ts';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const DEFAULT_VAC_ANNOTATION = 'volumeattributesclass.alpha.kubernetes.io/is-default-class';

/** "RWO,ROX,RWX,RWOP" in that fixed order, each at most once. */
export function accessModes(modes: unknown): string {
  const set = new Set(arr(modes));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

function annotation(obj: KubeObject, key: string): string | undefined {
  return obj.metadata.annotations?.[key];
}

function phase(obj: KubeObject): string {
  return obj.metadata.deletionTimestamp ? 'Terminating' : str(rec(obj.status).phase);
}

function optional(v: unknown, absent = '<unset>'): string {
  return typeof v === 'string' ? v : absent;
}

export const persistentVolumeTable: TableDef = {
  columns: [
    nameColumn('Name of the volume.'),
    column('Capacity', 'string', 'Storage size of the volume.'),
    column('Access Modes', 'string', 'Ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    column('Status', 'string', 'Binding phase of the volume.'),
    column('Claim', 'string', 'Namespace and name of the claim bound to the volume.'),
    column('StorageClass', 'string', 'Storage class of the volume.'),
    column('VolumeAttributesClass', 'string', 'Volume attributes class of the volume.'),
    column('Reason', 'string', 'Why the volume is in its phase, if known.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Filesystem or Block.'),
  ],
  cells(pv, now) {
    const spec = rec(pv.spec);
    const claimRef = spec.claimRef;
    const claim = claimRef && typeof claimRef === 'object' ? `${str(rec(claimRef).namespace)}/${str(rec(claimRef).name)}` : '';
    const className = annotation(pv, BETA_CLASS_ANNOTATION) ?? str(spec.storageClassName);
    return [
      nameOf(pv), formatQuantity(rec(spec.capacity).storage), accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy), phase(pv), claim, className,
      optional(spec.volumeAttributesClassName), str(rec(pv.status).reason), age(pv, now),
      optional(spec.volumeMode),
    ];
  },
};

export const persistentVolumeClaimTable: TableDef = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Binding phase of the claim.'),
    column('Volume', 'string', 'The volume bound to the claim.'),
    column('Capacity', 'string', 'Storage size of the bound volume.'),
    column('Access Modes', 'string', 'Ways the bound volume can be mounted.'),
    column('StorageClass', 'string', 'Storage class the claim asks for.'),
    column('VolumeAttributesClass', 'string', 'Volume attributes class the claim asks for.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Filesystem or Block.'),
  ],
  cells(pvc, now) {
    const spec = rec(pvc.spec);
    const status = rec(pvc.status);
    const volume = str(spec.volumeName);
    const bound = volume !== '';
    const className = annotation(pvc, BETA_CLASS_ANNOTATION) ?? optional(spec.storageClassName, '');
    return [
      nameOf(pvc), phase(pvc), volume,
      bound ? formatQuantity(rec(status.capacity).storage) : '',
      bound ? accessModes(status.accessModes) : '',
      className, optional(spec.volumeAttributesClassName), age(pvc, now), optional(spec.volumeMode),
    ];
  },
};

/** Whether a StorageClass carries the default-class annotation. */
export function isDefaultStorageClass(obj: KubeObject): boolean {
  return annotation(obj, DEFAULT_CLASS_ANNOTATION) === 'true' || annotation(obj, BETA_DEFAULT_CLASS_ANNOTATION) === 'true';
}

export const storageClassTable: TableDef = {
  columns: [
    nameColumn('Name of the storage class, marked when it is the default.'),
    column('Provisioner', 'string', 'Driver that creates volumes of this class.'),
    column('ReclaimPolicy', 'string', 'Reclaim policy given to volumes of this class.'),
    column('VolumeBindingMode', 'string', 'When claims of this class are bound.'),
    column('AllowVolumeExpansion', 'string', 'Whether volumes of this class can grow.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const name = isDefaultStorageClass(obj) ? `${nameOf(obj)} (default)` : nameOf(obj);
    return [
      name, str(obj.provisioner), optional(obj.reclaimPolicy, 'Delete'), optional(obj.volumeBindingMode, 'Immediate'),
      bool(obj.allowVolumeExpansion), age(obj, now),
    ];
  },
};

export const volumeAttributesClassTable: TableDef = {
  columns: [
    nameColumn('Name of the class, marked when it is the default.'),
    column('DriverName', 'string', 'CSI driver the attributes are for.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const name = annotation(obj, DEFAULT_VAC_ANNOTATION) === 'true' ? `${nameOf(obj)} (default)` : nameOf(obj);
    return [name, str(obj.driverName), age(obj, now)];
  },
};

export const csiDriverTable: TableDef = {
  columns: [
    nameColumn('Name of the CSI driver.'),
    column('AttachRequired', 'boolean', 'Whether volumes need an attach step.'),
    column('PodInfoOnMount', 'boolean', 'Whether pod details are passed on mount.'),
    column('StorageCapacity', 'boolean', 'Whether the scheduler checks reported capacity.'),
    column('TokenRequests', 'string', 'Audiences of service account tokens passed to the driver.'),
    column('RequiresRepublish', 'boolean', 'Whether volumes are republished periodically.'),
    column('Modes', 'string', 'Volume lifecycle modes the driver supports.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const tokenRequests = Array.isArray(spec.tokenRequests)
      ? spec.tokenRequests.map((t) => str(rec(t).audience)).join(',')
      : '<unset>';
    const modes = arr(spec.volumeLifecycleModes).map(str).join(',');
    return [
      nameOf(obj), spec.attachRequired !== false, bool(spec.podInfoOnMount), bool(spec.storageCapacity),
      tokenRequests, bool(spec.requiresRepublish), modes || '<none>', age(obj, now),
    ];
  },
};

export const csiNodeTable: TableDef = {
  columns: [
    nameColumn('Name of the node.'),
    column('Drivers', 'integer', 'Number of CSI drivers registered on the node.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), arr(rec(obj.spec).drivers).length, age(obj, now)];
  },
};

export const csiStorageCapacityTable: TableDef = {
  columns: [
    nameColumn(),
    column('StorageClassName', 'string', 'Storage class the capacity applies to.'),
    column('Capacity', 'string', 'Capacity reported for the topology segment.'),
  ],
  cells(obj) {
    const capacity = obj.capacity === undefined || obj.capacity === null ? '<unset>' : formatQuantity(obj.capacity);
    return [nameOf(obj), str(obj.storageClassName), capacity];
  },
};

export const volumeAttachmentTable: TableDef = {
  columns: [
    nameColumn('Name of the attachment.'),
    column('Attacher', 'string', 'Driver that handles the attachment.', 0, 'name'),
    column('PV', 'string', 'Persistent volume being attached.'),
    column('Node', 'string', 'Node the volume is attached to.'),
    column('Attached', 'boolean', 'Whether the attach step has finished.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [
      nameOf(obj), str(spec.attacher), str(rec(spec.source).persistentVolumeName), str(spec.nodeName),
      bool(rec(obj.status).attached), age(obj, now),
    ];
  },
};
