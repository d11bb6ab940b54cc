// PersistentVolumeClaimSpec validation, shared by PVCs, generic ephemeral
// volumes and StatefulSet volumeClaimTemplates.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, key } from './fieldpath.ts';
import { getObject, getString, getStringArray, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { validateLabelSelector } from './labelselector.ts';
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from './names.ts';
import { parseQuantityAt, readResourceList, validatePositiveQuantity, validateResourceQuantityValue } from './resources.ts';

export const supportedAccessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const supportedVolumeModes = ['Block', 'Filesystem'];

/** Access modes: each supported; ReadWriteOncePod alone. */
export function validateAccessModes(modes: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false, other = false;
  for (const m of modes) {
    if (!supportedAccessModes.includes(m)) errs.push(fieldError.notSupported(path, m, supportedAccessModes));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (supportedAccessModes.includes(m)) other = true;
  }
  if (rwop && other) errs.push(fieldError.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateDataSource(ds: Obj, path: string, errs: FieldError[], withNamespace: boolean): void {
  const name = getString(ds, 'name', path, errs) ?? '';
  const kind = getString(ds, 'kind', path, errs) ?? '';
  const apiGroup = getString(ds, 'apiGroup', path, errs) ?? '';
  if (name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  if (kind.length === 0) errs.push(fieldError.required(child(path, 'kind')));
  if (apiGroup.length === 0 && kind !== 'PersistentVolumeClaim') {
    errs.push(fieldError.invalid(path, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  }
  if (apiGroup.length > 0) for (const msg of isDNS1123Subdomain(apiGroup)) errs.push(fieldError.invalid(child(path, 'apiGroup'), apiGroup, msg));
  if (withNamespace) {
    const ns = getString(ds, 'namespace', path, errs) ?? '';
    if (ns.length > 0) for (const msg of isDNS1123Label(ns)) errs.push(fieldError.invalid(child(path, 'namespace'), ns, msg));
  }
}

export function validatePersistentVolumeClaimSpec(spec: unknown, path: string): FieldError[] {
  if (spec === undefined || spec === null) spec = {};
  if (!isObj(spec)) return [typeInvalid(path, spec, 'object')];
  const errs: FieldError[] = [];
  const modes = getStringArray(spec, 'accessModes', path, errs) ?? [];
  if (modes.length === 0) errs.push(fieldError.required(child(path, 'accessModes'), 'at least 1 access mode is required'));
  errs.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
  errs.push(...validateAccessModes(modes, child(path, 'accessModes')));

  const resources = getObject(spec, 'resources', path, errs) ?? {};
  const resPath = child(path, 'resources');
  const requests = isObj(resources.requests) ? resources.requests : undefined;
  if (resources.requests !== undefined && resources.requests !== null && !requests) {
    errs.push(typeInvalid(child(resPath, 'requests'), resources.requests, 'object'));
  }
  const storagePath = key(resPath, 'storage');
  if (!requests || !Object.hasOwn(requests, 'storage')) {
    errs.push(fieldError.required(storagePath));
  } else {
    const q = parseQuantityAt(requests.storage, storagePath, errs);
    if (q) {
      const pos = validatePositiveQuantity(q, storagePath);
      errs.push(...(pos.length > 0 ? pos : validateResourceQuantityValue('storage', q, storagePath)));
    }
  }
  // Other quantities must at least parse.
  readResourceList(resources.limits, child(resPath, 'limits'), errs);

  const scn = getString(spec, 'storageClassName', path, errs);
  if (scn !== undefined && scn.length > 0) {
    for (const msg of nameIsDNSSubdomain(scn, false)) errs.push(fieldError.invalid(child(path, 'storageClassName'), scn, msg));
  }
  const vm = getString(spec, 'volumeMode', path, errs);
  if (vm !== undefined && !supportedVolumeModes.includes(vm)) errs.push(fieldError.notSupported(child(path, 'volumeMode'), vm, supportedVolumeModes));
  getString(spec, 'volumeName', path, errs);

  const ds = getObject(spec, 'dataSource', path, errs);
  if (ds) validateDataSource(ds, child(path, 'dataSource'), errs, false);
  const dsr = getObject(spec, 'dataSourceRef', path, errs);
  if (dsr) validateDataSource(dsr, child(path, 'dataSourceRef'), errs, true);
  if (dsr && typeof dsr.namespace === 'string' && dsr.namespace.length > 0) {
    if (ds) errs.push(fieldError.invalid(path, child(path, 'dataSource'), 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (ds && dsr) {
    const same = (ds.apiGroup ?? '') === (dsr.apiGroup ?? '') && ds.kind === dsr.kind && ds.name === dsr.name;
    if (!same) errs.push(fieldError.invalid(path, child(path, 'dataSource'), 'must match dataSourceRef'));
  }
  const vac = getString(spec, 'volumeAttributesClassName', path, errs);
  if (vac !== undefined && vac.length > 0) {
    for (const msg of nameIsDNSSubdomain(vac, false)) errs.push(fieldError.invalid(child(path, 'volumeAttributesClassName'), vac, msg));
  }
  return errs;
}
