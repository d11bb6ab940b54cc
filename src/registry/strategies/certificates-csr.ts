// certificates.k8s.io/v1 CertificateSigningRequest: the PEM request, signer
// name, usages and duration; the spec cannot change after creation, and
// status (conditions, certificate) belongs to the approval/status subresources.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getInt, getObject, getString, getStringArray } from '../../api/validation/json.ts';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, keepStatus, strategy } from './common.ts';
import { deepCopy } from '../../api/json-copy.ts';

const keyUsages = ['any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment',
  'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user',
  'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping'];

function requestError(b64: string): string | undefined {
  const text = Buffer.from(b64, 'base64').toString('latin1');
  const m = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (!m) return 'PEM block type must be CERTIFICATE REQUEST';
  if (m[1] !== 'CERTIFICATE REQUEST' && m[1] !== 'NEW CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  return undefined;
}

function validateSignerName(name: string, errs: FieldError[]): void {
  const p = 'spec.signerName';
  const parts = name.split('/');
  if (parts.length !== 2 || (parts[0] as string).length === 0 || (parts[1] as string).length === 0) {
    errs.push(fieldError.invalid(p, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    return;
  }
  for (const m of isDNS1123Subdomain(parts[0] as string)) errs.push(fieldError.invalid(p, name, `validating ${parts[0]}: ${m}`));
}

export const csrStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  prepareForUpdate(obj, old) {
    // Spec is fixed at creation; keep what was stored.
    if (old.spec === undefined) delete obj.spec; else obj.spec = deepCopy(old.spec);
    keepStatus(obj, old);
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const req = getString(spec, 'request', 'spec', errs) ?? '';
    if (req.length === 0) errs.push(fieldError.invalid('spec.request', req, 'PEM block type must be CERTIFICATE REQUEST'));
    else {
      const bad = requestError(req);
      if (bad) errs.push(fieldError.invalid('spec.request', req, bad));
    }
    const signer = getString(spec, 'signerName', 'spec', errs) ?? '';
    if (signer.length === 0) errs.push(fieldError.required('spec.signerName'));
    else validateSignerName(signer, errs);
    const usages = getStringArray(spec, 'usages', 'spec', errs) ?? [];
    if (usages.length === 0) errs.push(fieldError.required('spec.usages', 'usages must be provided'));
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (!keyUsages.includes(u)) errs.push(fieldError.notSupported(`spec.usages[${i}]`, u, keyUsages));
      if (seen.has(u)) errs.push(fieldError.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
    const exp = getInt(spec, 'expirationSeconds', 'spec', errs);
    if (exp !== undefined && exp < 600) errs.push(fieldError.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
    return errs;
  },
});
