// certificates.k8s.io/v1 CertificateSigningRequest, as upstream's csrStrategy
// and its validation: the request must be a PEM CERTIFICATE REQUEST whose
// signature verifies; the spec cannot change after creation (spec.username,
// uid, groups and extra are the creator's, filled in by the server's admission,
// which sees the requesting user); conditions Approved and Denied are written
// through the `approval` subresource only, the certificate (once) and Failed
// through `status`; no Approved, Denied or Failed condition is ever removed.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getInt, getObject, getString, getStringArray, isObj, semanticEqual } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { dns1123SubdomainMaxLength, dns1123LabelMaxLength, isDNS1123Label, isDNS1123Subdomain, nameIsPathSegment } from '../../api/validation/names.ts';
import { certificateChainError, certificateRequestError } from '../../api/x509/csr.ts';
import { deepCopy } from '../../api/json-copy.ts';
import type { Strategy, SubresourceWrite } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';
import { jsonDiff } from '../../api/validation/pod-update.ts';

export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

/** Every usage a request may name, sorted as upstream lists them. */
export const KEY_USAGES = ['any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment',
  'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user',
  'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping'];
const keyUsages = new Set(KEY_USAGES);

/** Condition types that may only be True, and never removed once there. */
const TRUE_ONLY = new Set(['Approved', 'Denied', 'Failed']);

interface Condition extends Obj {
  type?: unknown;
  status?: unknown;
}

function specOf(obj: KubeObject): Obj {
  const s = asObj(obj).spec;
  return isObj(s) ? s : {};
}

function statusOf(obj: KubeObject): Obj {
  const s = asObj(obj).status;
  return isObj(s) ? s : {};
}

export function conditionsOf(obj: KubeObject): Condition[] {
  const c = statusOf(obj).conditions;
  return Array.isArray(c) ? c.filter(isObj) as Condition[] : [];
}

function conditionsOfType(obj: KubeObject, type: string): Condition[] {
  return conditionsOf(obj).filter((c) => c.type === type);
}

/** status.certificate as stored: base64 text ('' when absent). */
function certificateOf(obj: KubeObject): string {
  const c = statusOf(obj).certificate;
  return typeof c === 'string' ? c : '';
}

/** base64 text as bytes, and as Go re-encodes them (a field error shows that). */
function bytesOf(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

// ---- validation ----------------------------------------------------------------

/** What an update may tolerate in data already stored, as upstream's getValidationOptions. */
interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

function usagesOf(obj: KubeObject): string[] {
  const u = specOf(obj).usages;
  return Array.isArray(u) ? u.filter((x): x is string => typeof x === 'string') : [];
}

function optionsFor(obj: KubeObject, old: KubeObject | undefined): Options {
  const oldConds = old ? conditionsOf(old) : [];
  const oldTypes = oldConds.map((c) => c.type);
  const oldUsages = old ? usagesOf(old) : [];
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: oldTypes.includes('Approved') && oldTypes.includes('Denied'),
    allowLegacySignerName: old !== undefined && specOf(old).signerName === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: new Set(oldTypes).size !== oldTypes.length,
    allowEmptyConditionType: oldConds.some((c) => c.type === undefined || c.type === null || c.type === ''),
    allowArbitraryCertificate: old !== undefined && (certificateOf(obj) === certificateOf(old) ||
      certificateChainError(bytesOf(certificateOf(old))) !== undefined),
    allowUnknownUsages: oldUsages.some((u) => !keyUsages.has(u)),
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

/** Upstream's ValidateSignerName: `example.com/path`, a domain of two or more labels, a path of subdomains. */
export function validateSignerName(path: string, name: string): FieldError[] {
  if (name.length === 0) return [fieldError.required(path)];
  const segments = name.split('/');
  if (segments.length !== 2) {
    return [fieldError.invalid(path, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  }
  const [domain, rest] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > dns1123SubdomainMaxLength) errs.push(fieldError.tooLong(path, '', dns1123SubdomainMaxLength));
  const domainLabels = domain.split('.');
  for (const label of domainLabels) {
    const msgs = isDNS1123Label(label);
    if (msgs.length > 0) {
      for (const m of msgs) errs.push(fieldError.invalid(path, domain, `validating label ${JSON.stringify(label)}: ${m}`));
      break;
    }
  }
  if (domainLabels.length < 2) errs.push(fieldError.invalid(path, domain, 'should be a domain with at least two segments separated by dots'));
  for (const label of rest.split('.')) {
    const msgs = isDNS1123Subdomain(label);
    if (msgs.length > 0) {
      for (const m of msgs) errs.push(fieldError.invalid(path, rest, `validating label ${JSON.stringify(label)}: ${m}`));
      break;
    }
  }
  const max = dns1123SubdomainMaxLength + (dns1123SubdomainMaxLength + dns1123LabelMaxLength + 1) + 1;
  if (name.length > max) errs.push(fieldError.tooLong(path, '', max));
  return errs;
}

function validateConditions(obj: KubeObject, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<unknown>();
  let approved = false;
  let denied = false;
  conditionsOf(obj).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    if (!opts.allowEmptyConditionType && (c.type === undefined || c.type === null || c.type === '')) errs.push(fieldError.required(`${p}.type`));
    const allowed = TRUE_ONLY.has(c.type as string) ? ['True'] : ['False', 'True', 'Unknown'];
    if (c.status === undefined || c.status === null || c.status === '') errs.push(fieldError.required(`${p}.status`));
    else if (!allowed.includes(c.status as string)) errs.push(fieldError.notSupported(`${p}.status`, c.status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (c.type === 'Approved') {
        approved = true;
        if (denied) errs.push(fieldError.invalid(`${p}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (c.type === 'Denied') {
        denied = true;
        if (approved) errs.push(fieldError.invalid(`${p}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(c.type)) errs.push(fieldError.duplicate(`${p}.type`, c.type));
      seen.add(c.type);
    }
  });
  return errs;
}

function validateCSR(obj: KubeObject, opts: Options): FieldError[] {
  const errs = validateMeta(obj, { namespaced: false, name: nameIsPathSegment });
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const request = getString(spec, 'request', 'spec', errs) ?? '';
  const bad = certificateRequestError(bytesOf(request));
  if (bad !== undefined) errs.push(fieldError.invalid('spec.request', bytesOf(request).toString('base64'), bad));
  const usages = getStringArray(spec, 'usages', 'spec', errs) ?? [];
  if (usages.length === 0) errs.push(fieldError.required('spec.usages'));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => { if (!keyUsages.has(u)) errs.push(fieldError.notSupported(`spec.usages[${i}]`, u, KEY_USAGES)); });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(fieldError.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  const signer = getString(spec, 'signerName', 'spec', errs) ?? '';
  if (!opts.allowLegacySignerName && signer === LEGACY_UNKNOWN_SIGNER) {
    errs.push(fieldError.invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  } else {
    errs.push(...validateSignerName('spec.signerName', signer));
  }
  const exp = getInt(spec, 'expirationSeconds', 'spec', errs);
  if (exp !== undefined && exp < 600) errs.push(fieldError.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  errs.push(...validateConditions(obj, opts));
  if (!opts.allowArbitraryCertificate) {
    const certErr = certificateChainError(bytesOf(certificateOf(obj)));
    if (certErr !== undefined) errs.push(fieldError.invalid('status.certificate', '<certificate data>', certErr));
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject, opts: Options): FieldError[] {
  const errs = validateCSR(obj, opts);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (conditionsOfType(obj, t).length < conditionsOfType(old, t).length) {
      errs.push(fieldError.forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const before = conditionsOfType(old, t);
      const now = conditionsOfType(obj, t);
      if (now.length > before.length) {
        errs.push(fieldError.forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      } else if (now.length === before.length && !semanticEqual(before, now)) {
        const diff = jsonDiff(before, now, 'status.conditions').join('\n');
        errs.push(fieldError.forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}\n${diff}`));
      }
    }
  }
  const cert = certificateOf(obj);
  const oldCert = certificateOf(old);
  if (!bytesOf(cert).equals(bytesOf(oldCert))) {
    if (!opts.allowSettingCertificate) {
      errs.push(fieldError.forbidden('status.certificate', 'updates may not set certificate content'));
    } else if (oldCert.length > 0) {
      errs.push(fieldError.forbidden('status.certificate', 'updates may not modify existing certificate content'));
    }
  }
  errs.push(...validateMetaUpdate(obj, old));
  return errs;
}

/** Upstream's ValidateCertificateSigningRequestCreate. */
export function validateCreate(obj: KubeObject): FieldError[] {
  return validateCSR(obj, optionsFor(obj, undefined));
}

/** Upstream's ValidateCertificateSigningRequestUpdate (the main resource). */
export function validateMainUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateUpdate(obj, old, optionsFor(obj, old));
}

/** Upstream's ValidateCertificateSigningRequestStatusUpdate. */
export function validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateUpdate(obj, old, { ...optionsFor(obj, old), allowSettingCertificate: true });
}

/** Upstream's ValidateCertificateSigningRequestApprovalUpdate. */
export function validateApprovalUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateUpdate(obj, old, { ...optionsFor(obj, old), allowSettingApprovalConditions: true });
}

// ---- subresource writes ----------------------------------------------------------

/** metav1.Time of now, as the API server writes it. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const isZeroTime = (t: unknown) => t === undefined || t === null || t === '';

/** Condition timestamps the server fills in: lastUpdateTime now, lastTransitionTime carried over from the same type and status. */
function populateConditionTimestamps(conds: Condition[], old: KubeObject): void {
  const t = now();
  for (const c of conds) {
    if (isZeroTime(c.lastUpdateTime)) c.lastUpdateTime = t;
    if (isZeroTime(c.lastTransitionTime)) {
      const before = conditionsOf(old).find((o) => o.type === c.type && o.status === c.status && !isZeroTime(o.lastTransitionTime));
      c.lastTransitionTime = before ? before.lastTransitionTime : t;
    }
  }
}

function sentConditions(obj: KubeObject): Condition[] {
  const s = asObj(obj).status;
  const c = isObj(s) ? s.conditions : undefined;
  return Array.isArray(c) ? deepCopy(c) as Condition[] : [];
}

function withConditions(next: KubeObject, conds: Condition[]): void {
  const status = (isObj(asObj(next).status) ? asObj(next).status : (asObj(next).status = {})) as Obj;
  if (conds.length === 0) delete status.conditions;
  else status.conditions = conds;
}

/** certificatesigningrequests/approval: changes status.conditions only. */
const approvalWrite: SubresourceWrite = {
  prepare(obj, old) {
    const next = deepCopy(old);
    const conds = sentConditions(obj);
    populateConditionTimestamps(conds, old);
    withConditions(next, conds);
    return next;
  },
  validate: validateApprovalUpdate,
  // The approver owns the conditions it sets, not the spec or the signer's certificate.
  resetPaths: [['spec'], ['status', 'certificate']],
};

/**
 * certificatesigningrequests/status: changes status (the certificate, conditions other than
 * Approved and Denied); the existing Approved and Denied conditions are kept as they were.
 */
const statusWrite: SubresourceWrite = {
  prepare(obj, old) {
    const next = deepCopy(old);
    const sent = asObj(obj).status;
    const status: Obj = isObj(sent) ? deepCopy(sent) : {};
    const conds = sentConditions(obj);
    for (const t of ['Approved', 'Denied']) {
      const oldIdx = conditionsOf(old).flatMap((c, i) => (c.type === t ? [i] : []));
      const newIdx = conds.flatMap((c, i) => (isObj(c) && c.type === t ? [i] : []));
      if (oldIdx.length !== newIdx.length) continue;
      newIdx.forEach((n, k) => { conds[n] = deepCopy(conditionsOf(old)[oldIdx[k]!]!); });
    }
    populateConditionTimestamps(conds, old);
    (next as unknown as Obj).status = status;
    withConditions(next, conds);
    return next;
  },
  validate: validateStatusUpdate,
};

export const csrStrategy: Strategy = {
  prepareForCreate(obj) {
    // The creator's identity is filled in by admission (it knows the user); a client cannot set it.
    const spec = asObj(obj).spec;
    if (isObj(spec)) {
      delete spec.username;
      delete spec.uid;
      delete spec.groups;
      delete spec.extra;
    }
    // No pre-approved requests.
    (obj as unknown as Obj).status = {};
  },
  prepareForUpdate(obj, old) {
    // Spec and status are fixed here; the approval and status subresources change status.
    const o = obj as unknown as Obj;
    if (old.spec === undefined) delete o.spec; else o.spec = deepCopy(old.spec);
    if (old.status === undefined) delete o.status; else o.status = deepCopy(old.status);
  },
  validateCreate,
  validateUpdate: validateMainUpdate,
  validateStatusUpdate,
  subresourceWrites: { approval: approvalWrite, status: statusWrite },
};
