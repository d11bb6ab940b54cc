// The csrsigning controller: an approved (and not denied or failed) request for
// one of the kubernetes.io signers signed here gets its certificate, issued by the
// cluster's own client CA (so it authenticates to this cluster as CN = user,
// O = groups), valid for spec.expirationSeconds up to a year; a request the
// signer's rules refuse gets a Failed condition (SignerValidationFailure).
// Both are written through the status subresource, as upstream's controller does.

import type { KubeObject } from '../../api/types.ts';
import { parseCertificateRequestPem } from '../../api/x509/csr.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { ControllerContext } from '../context.ts';
import { controllerManager, ignoreNotFound } from '../core/util.ts';
import { Controller } from '../runtime.ts';
import { certificateUsages, durationFor, SIGNED_HERE, signerRefusal } from './signers.ts';

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : {});

export function conditionsOf(csr: KubeObject): Obj[] {
  const c = rec(csr.status).conditions;
  return Array.isArray(c) ? c.map(rec) : [];
}

/** Approved and not denied (upstream's IsCertificateRequestApproved). */
export function isApproved(csr: KubeObject): boolean {
  const types = conditionsOf(csr).map((c) => c.type);
  return types.includes('Approved') && !types.includes('Denied');
}

/** A condition of `type` that is True (or has no status), as upstream's HasTrueCondition. */
export function hasTrueCondition(csr: KubeObject, type: string): boolean {
  return conditionsOf(csr).some((c) => c.type === type && (c.status === undefined || c.status === '' || c.status === 'True'));
}

export function isIssued(csr: KubeObject): boolean {
  const c = rec(csr.status).certificate;
  return typeof c === 'string' && c.length > 0;
}

/** Whether the controller has something to do for the request. */
export function needsSigning(csr: KubeObject): boolean {
  const signer = rec(csr.spec).signerName;
  return typeof signer === 'string' && SIGNED_HERE.has(signer) && isApproved(csr) && !hasTrueCondition(csr, 'Failed') && !isIssued(csr);
}

const nowTime = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Start the csrsigning controller; returns a function that stops it. Signs nothing when the cluster has no CA to sign with. */
export function startCSRSigningController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const def = ctx.def('certificates.k8s.io', 'v1', 'certificatesigningrequests');
  const prefix = resourcePrefix(def);

  const controller = new Controller('csrsigning', async (name) => {
    const sign = vc.signCertificate;
    const csr = vc.store.peek(def, undefined, name);
    if (!sign || !csr || !needsSigning(csr)) return;
    const spec = rec(csr.spec);
    const signerName = spec.signerName as string;
    const usages = Array.isArray(spec.usages) ? spec.usages.filter((u): u is string => typeof u === 'string') : [];
    let req;
    try {
      req = parseCertificateRequestPem(Buffer.from(String(spec.request ?? ''), 'base64'));
    } catch (e) {
      throw new Error(`unable to parse csr ${JSON.stringify(name)}: ${(e as Error).message}`);
    }
    const refusal = signerRefusal(signerName, req, usages);
    let status: Obj;
    if (refusal !== undefined) {
      status = { condition: { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refusal, lastUpdateTime: nowTime() } };
    } else {
      const exp = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : undefined;
      const pem = sign({
        publicKey: req.publicKey, subject: req.rawSubject, subjectAltNames: req.subjectAltNames,
        ...certificateUsages(usages), durationMs: durationFor(exp),
      });
      status = { certificate: Buffer.from(pem).toString('base64') };
    }
    await ignoreNotFound(vc.store.guaranteedUpdate(def, undefined, name, (cur) => {
      const obj = cur as KubeObject;
      // Approved, denied or failed meanwhile, or signed by another: leave it.
      if (obj.metadata.uid !== csr.metadata.uid || !needsSigning(obj)) return obj;
      const st = rec(obj.status);
      if (status.condition) st.conditions = [...conditionsOf(obj), status.condition];
      else st.certificate = status.certificate;
      obj.status = st;
      return obj;
    }, { subresource: 'status', fieldManager: controllerManager }));
  });

  const unwatch = controller.watch(vc.cache, prefix, (ev) => (ev.type !== 'DELETED' && needsSigning(ev.obj) ? ev.obj.metadata.name : undefined));
  for (const c of vc.cache.scan(prefix)) if (needsSigning(c.obj)) controller.enqueue(c.obj.metadata.name as string);
  return () => { unwatch(); void controller.stop(); };
}
