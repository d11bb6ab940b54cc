// kube-controller-manager's certificate controllers for CertificateSigningRequests:
// csrsigning (the kubernetes.io signers, with the cluster's client CA) and the
// csrcleaner. Started with the cluster's first request.

import type { ControllerContext } from '../context.ts';
import { startCSRCleaner } from './cleaner.ts';
import { startCSRSigningController } from './csrsigning.ts';

export { startCSRSigningController } from './csrsigning.ts';
export { startCSRCleaner } from './cleaner.ts';

export function startCertificateControllers(ctx: ControllerContext): () => void {
  const stops = [startCSRSigningController(ctx), startCSRCleaner(ctx)];
  return () => { for (const s of stops) s(); };
}
