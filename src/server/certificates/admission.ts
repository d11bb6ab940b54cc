// The admission kube-apiserver applies to CertificateSigningRequests, as one
// plugin of the cluster's store:
//
//  - admit (create): the requestor's identity goes into spec.username, uid, groups
//    and extra (upstream's strategy does it from the request's user; here the
//    admission phase is what sees the user), before validation;
//  - validate (after the kind's validation, as upstream's validating admission):
//    CertificateSubjectRestriction refuses a request for kubernetes.io/kube-apiserver-client
//    whose subject names the system:masters group; CertificateApproval: a write to the
//    approval subresource needs the `approve` verb on the request's signer (resource
//    `signers` of certificates.k8s.io, name the signer or `DOMAIN/*`);
//    CertificateSigning: a write to the status subresource that changes the
//    certificate or the conditions needs the `sign` verb on the signer.
//
// Approval and status writes without a user (the server's own controllers) are not checked.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseCertificateRequestPem } from '../../api/x509/csr.ts';
import { semanticEqual } from '../../api/validation/json.ts';
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import type { ResourceDef, UserInfo } from '../../registry/types.ts';
import type { Authorizer } from '../auth/authorize.ts';

export const CSR_GROUP = 'certificates.k8s.io';
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
const gr = { group: CSR_GROUP, resource: 'certificatesigningrequests' };

function isCertificateSigningRequests(def: ResourceDef): boolean {
  return def.group === CSR_GROUP && def.plural === 'certificatesigningrequests';
}

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : {});

function signerOf(obj: KubeObject | undefined): string {
  const s = rec(obj?.spec).signerName;
  return typeof s === 'string' ? s : '';
}

/** The name admission errors carry: the request's, else the object's name or generateName (upstream's extractResourceName). */
function nameFor(name: string, obj: KubeObject | undefined): string {
  return name || obj?.metadata.name || obj?.metadata.generateName || 'Unknown';
}

/** Upstream's IsAuthorizedForSignerName: the verb on the signer's name, or on `DOMAIN/*`. */
export async function authorizedForSigner(authorizer: Authorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  const ask = async (name: string) =>
    (await authorizer.authorize(user, { verb, group: CSR_GROUP, version: '*', resource: 'signers', name })).allowed;
  if (await ask(signerName)) return true;
  return ask(`${signerName.split('/')[0]}/*`);
}

/** Fill in the requestor, as upstream's PrepareForCreate does from the request's user. */
function fillRequestor(obj: KubeObject, user: UserInfo): void {
  const spec = rec(obj.spec);
  spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  if (user.groups.length > 0) spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length > 0) {
    spec.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
  }
  if (obj.spec === undefined) obj.spec = spec;
}

/** The store's admission plugin for CertificateSigningRequests; `authorizer` is the cluster's, asked at each write. */
export function certificateSigningRequestAdmission(authorizer: () => Authorizer): AdmissionPlugin {
  return {
    name: 'CertificateSigningRequest',
    admit(op, def, _namespace, obj, _old, user) {
      if (op === 'create' && user && isCertificateSigningRequests(def)) fillRequestor(obj, user);
    },
    async validate(req) {
      if (!isCertificateSigningRequests(req.def)) return;
      const obj = req.object;
      if (req.operation === 'CREATE' && req.subresource === undefined && obj) {
        // CertificateSubjectRestriction.
        if (signerOf(obj) !== KUBE_APISERVER_CLIENT_SIGNER) return;
        const parsed = parseCertificateRequestPem(Buffer.from(String(rec(obj.spec).request ?? ''), 'base64'));
        if (parsed.organizations.includes('system:masters')) {
          throw errors.forbidden(gr, nameFor(req.name, obj), `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed`);
        }
        return;
      }
      const user = req.user;
      const old = req.oldObject;
      if (req.operation !== 'UPDATE' || !user || !old || !obj) return;
      // The signer cannot change: it is the stored object's.
      const signer = signerOf(old);
      if (req.subresource === 'approval') {
        if (!(await authorizedForSigner(authorizer(), user, 'approve', signer))) {
          throw errors.forbidden(gr, nameFor(req.name, old), `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`);
        }
      } else if (req.subresource === 'status') {
        const before = rec(old.status);
        const after = rec(obj.status);
        if ((before.certificate ?? '') === (after.certificate ?? '') && semanticEqual(before.conditions ?? [], after.conditions ?? [])) return;
        if (!(await authorizedForSigner(authorizer(), user, 'sign', signer))) {
          throw errors.forbidden(gr, nameFor(req.name, old), `user not permitted to sign requests with signerName ${JSON.stringify(signer)}`);
        }
      }
    },
  };
}
