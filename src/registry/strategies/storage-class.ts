// storage.k8s.io/v1 StorageClass: reclaim policy Delete and binding mode
// Immediate by default; provisioner, parameters and policies are fixed once created.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getBool, getObject, getString, semanticEqual, setDefault } from '../../api/validation/json.ts';
import { byteLength, isQualifiedName, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

export const storageClassStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  defaults(obj) {
    const o = asObj(obj);
    setDefault(o, 'reclaimPolicy', 'Delete');
    setDefault(o, 'volumeBindingMode', 'Immediate');
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const o = asObj(obj);
    const prov = getString(o, 'provisioner', '', errs) ?? '';
    if (prov.length === 0) errs.push(fieldError.required('provisioner'));
    else {
      if (prov.length > 253) errs.push(fieldError.tooLong('provisioner', prov, 253));
      for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldError.invalid('provisioner', prov, m));
    }
    const params = getObject(o, 'parameters', '', errs) ?? {};
    let size = 0;
    for (const [k, v] of Object.entries(params)) {
      if (k.length === 0) errs.push(fieldError.invalid('parameters', k, 'field can not be empty.'));
      size += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
    }
    if (size > 256 * 1024) errs.push(fieldError.tooLong('parameters', '', 256 * 1024));
    const rp = getString(o, 'reclaimPolicy', '', errs);
    if (rp !== undefined && rp !== 'Delete' && rp !== 'Retain') errs.push(fieldError.notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
    const mode = getString(o, 'volumeBindingMode', '', errs);
    if (mode !== undefined && mode !== 'Immediate' && mode !== 'WaitForFirstConsumer') {
      errs.push(fieldError.notSupported('volumeBindingMode', mode, ['Immediate', 'WaitForFirstConsumer']));
    }
    getBool(o, 'allowVolumeExpansion', '', errs);
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    const o = asObj(obj), oo = asObj(old);
    if (!semanticEqual(o.parameters, oo.parameters)) errs.push(fieldError.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (o.provisioner !== oo.provisioner) errs.push(fieldError.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (o.reclaimPolicy !== oo.reclaimPolicy) errs.push(fieldError.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...validateImmutableField(o.volumeBindingMode, oo.volumeBindingMode, 'volumeBindingMode'));

    return errs;
  },
});
