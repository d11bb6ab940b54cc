// The CSR cleaner: removes requests that are done with, as upstream's csrcleaner
// does. An approved request with its certificate goes an hour after approval (or
// once the certificate has expired, if sooner), a denied or failed one an hour
// after that condition's lastUpdateTime, a pending one (no conditions) a day after
// it was made. Upstream looks every hour; here each request waits on a timer for
// its own moment.

import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';
import { decodePem } from '../../api/x509/pem.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { Deadlines } from '../batch/deadlines.ts';
import type { ControllerContext } from '../context.ts';
import { controllerManager, ignoreNotFound } from '../core/util.ts';
import { Controller } from '../runtime.ts';
import { conditionsOf, isIssued } from './csrsigning.ts';

const HOUR = 60 * 60 * 1000;
export const APPROVED_EXPIRATION_MS = HOUR;
export const DENIED_EXPIRATION_MS = HOUR;
export const PENDING_EXPIRATION_MS = 24 * HOUR;

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** The end of the issued certificate (the first PEM block of status.certificate), if it reads. */
function certificateNotAfter(csr: KubeObject): number | undefined {
  const b64 = (csr.status as { certificate?: unknown } | undefined)?.certificate;
  if (typeof b64 !== 'string') return undefined;
  const found = decodePem(Buffer.from(b64, 'base64').toString('latin1'));
  if (!found) return undefined;
  try {
    return new X509Certificate(found.block.bytes).validToDate.getTime();
  } catch {
    return undefined;
  }
}

/** When the request is to be removed (ms since the epoch), or undefined when never. */
export function removalTime(csr: KubeObject): number | undefined {
  const conds = conditionsOf(csr);
  const times: number[] = [];
  const issued = isIssued(csr);
  for (const c of conds) {
    const t = timeOf(c.lastUpdateTime);
    if (c.type === 'Approved' && issued) {
      if (t !== undefined) times.push(t + APPROVED_EXPIRATION_MS);
      const end = certificateNotAfter(csr);
      if (end !== undefined) times.push(end);
    } else if ((c.type === 'Denied' || c.type === 'Failed') && t !== undefined) {
      times.push(t + DENIED_EXPIRATION_MS);
    }
  }
  if (conds.length === 0) {
    const created = timeOf(csr.metadata.creationTimestamp);
    if (created !== undefined) times.push(created + PENDING_EXPIRATION_MS);
  }
  return times.length === 0 ? undefined : Math.min(...times);
}

/** Start the CSR cleaner; returns a function that stops it. */
export function startCSRCleaner(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const def = ctx.def('certificates.k8s.io', 'v1', 'certificatesigningrequests');
  const prefix = resourcePrefix(def);

  const controller = new Controller('csrcleaner', async (name) => {
    const csr = vc.store.peek(def, undefined, name);
    const at = csr ? removalTime(csr) : undefined;
    if (!csr || at === undefined || csr.metadata.deletionTimestamp) { deadlines.clear(name); return; }
    const wait = at - ctx.now().getTime();
    // Strictly past the moment, as upstream's isOlderThan.
    if (wait >= 0) { deadlines.after(name, wait + 1); return; }
    await ignoreNotFound(vc.store.delete(def, undefined, name, { preconditions: { uid: csr.metadata.uid }, fieldManager: controllerManager }));
  });
  const deadlines = new Deadlines((name) => controller.enqueue(name));

  const unwatch = vc.cache.subscribe({
    prefix,
    onEvent: (ev) => {
      const name = ev.obj.metadata.name as string;
      if (ev.type === 'DELETED') deadlines.clear(name);
      else controller.enqueue(name);
    },
  });
  for (const c of vc.cache.scan(prefix)) controller.enqueue(c.obj.metadata.name as string);
  return () => { unwatch(); deadlines.stop(); void controller.stop(); };
}
