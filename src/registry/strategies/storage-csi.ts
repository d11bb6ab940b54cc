// storage.k8s.io/v1 CSIDriver, CSINode and VolumeAttachment.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { getInt, getObject, getObjectList, getString, getStringArray, isObj, semanticEqual, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isQualifiedName, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { isNegativeErrorMsg, validateImmutableField } from '../../api/validation/objectmeta.ts';
import { validateCSIDriverName } from '../../api/validation/pod-volumes.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';

/** Upstream checks a CSIDriver's name with the driver-name rule, reported at `name`. */
const anyName = (): string[] => [];

export const csiDriverStrategy: Strategy = strategy({
  namespaced: false,
  name: anyName,
  defaults(obj) {
    const spec = field(obj, 'spec');
    if (!spec) return;
    setDefault(spec, 'attachRequired', true);
    setDefault(spec, 'podInfoOnMount', false);
    setDefault(spec, 'storageCapacity', false);
    setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
    setDefault(spec, 'requiresRepublish', false);
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const meta = asObj(obj).metadata;
    const name = isObj(meta) && typeof meta.name === 'string' ? meta.name : '';
    if (name.length > 0) errs.push(...validateCSIDriverName(name, 'name'));
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    (getStringArray(spec, 'volumeLifecycleModes', 'spec', errs) ?? []).forEach((m, i) => {
      if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(fieldError.notSupported(index('spec.volumeLifecycleModes', i), m, ['Ephemeral', 'Persistent']));
    });
    const fsg = getString(spec, 'fsGroupPolicy', 'spec', errs);
    const policies = ['File', 'None', 'ReadWriteOnceWithFSType'];
    if (fsg !== undefined && !policies.includes(fsg)) errs.push(fieldError.notSupported('spec.fsGroupPolicy', fsg, policies));
    const audiences = new Set<string>();
    for (const { item: tr, path } of getObjectList(spec, 'tokenRequests', 'spec', errs)) {
      const aud = getString(tr, 'audience', path, errs) ?? '';
      if (audiences.has(aud)) errs.push(fieldError.duplicate(child(path, 'audience'), aud));
      audiences.add(aud);
      const exp = getInt(tr, 'expirationSeconds', path, errs);
      if (exp !== undefined && exp < 600) errs.push(fieldError.invalid(child(path, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    return [
      ...validateImmutableField(s.attachRequired, os.attachRequired, 'spec.attachRequired'),
      ...validateImmutableField(s.volumeLifecycleModes, os.volumeLifecycleModes, 'spec.volumeLifecycleModes'),
      ...validateImmutableField(s.fsGroupPolicy, os.fsGroupPolicy, 'spec.fsGroupPolicy'),
    ];
  },
});

export const csiNodeStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const names = new Set<string>();
    for (const { item: d, path } of getObjectList(spec, 'drivers', 'spec', errs)) {
      const name = getString(d, 'name', path, errs) ?? '';
      errs.push(...validateCSIDriverName(name, child(path, 'name')));
      if (names.has(name)) errs.push(fieldError.duplicate(child(path, 'name'), name));
      names.add(name);
      const nodeID = getString(d, 'nodeID', path, errs) ?? '';
      if (nodeID.length === 0) errs.push(fieldError.required(child(path, 'nodeID')));
      else if (nodeID.length > 192) errs.push(fieldError.tooLong(child(path, 'nodeID'), nodeID, 192));
      (getStringArray(d, 'topologyKeys', path, errs) ?? []).forEach((k, i) => {
        const kp = index(child(path, 'topologyKeys'), i);
        if (k.length === 0) errs.push(fieldError.required(kp));
        for (const m of isQualifiedName(k)) errs.push(fieldError.invalid(kp, k, m));
      });
      const alloc = getObject(d, 'allocatable', path, errs);
      const count = alloc ? getInt(alloc, 'count', child(path, 'allocatable'), errs) : undefined;
      if (count !== undefined && count < 0) errs.push(fieldError.invalid(child(path, 'allocatable', 'count'), count, isNegativeErrorMsg));
    }
    return errs;
  },
});

function validateAttachmentSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  errs.push(...validateCSIDriverName(getString(spec, 'attacher', 'spec', errs) ?? '', 'spec.attacher'));
  const source = getObject(spec, 'source', 'spec', errs) ?? {};
  const pvName = getString(source, 'persistentVolumeName', 'spec.source', errs);
  const inline = getObject(source, 'inlineVolumeSpec', 'spec.source', errs);
  if ((pvName === undefined) === (inline === undefined)) {
    errs.push(fieldError.required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  } else if (pvName !== undefined) {
    if (pvName.length === 0) errs.push(fieldError.required('spec.source.persistentVolumeName'));
    else for (const m of nameIsDNSSubdomain(pvName, false)) errs.push(fieldError.invalid('spec.source.persistentVolumeName', pvName, m));
  }
  const node = getString(spec, 'nodeName', 'spec', errs) ?? '';
  if (node.length === 0) errs.push(fieldError.required('spec.nodeName'));
  else for (const m of nameIsDNSSubdomain(node, false)) errs.push(fieldError.invalid('spec.nodeName', node, m));
  return errs;
}

export const volumeAttachmentStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({ attached: false }),
  validate: validateAttachmentSpec,
  validateUpdate(obj, old) {
    if (!semanticEqual(asObj(obj).spec, asObj(old).spec)) return [fieldError.invalid('spec', asObj(obj).spec ?? null, 'field is immutable')];
    return [];
  },
});
