// The admin API at the server root: a cluster of its own (own store, RBAC,
// discovery), whose VirtualCluster objects say which virtual clusters the server
// hosts. This file opens it, installs the VirtualCluster definition, and serves
// the subresources that are not objects: kubeconfig, snapshot and restore.

import type { X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { builtinRegistry } from '../../registry/builtin.ts';
import { StaticTokens } from '../auth/authenticate.ts';
import { VirtualCluster } from '../cluster.ts';
import { captureImage } from '../bootstrap-image.ts';
import type { ResourceContext } from '../handlers/resource.ts';
import { writeObject } from '../http/respond.ts';
import { installAccessControl, type ClusterManager, type StorageConfig } from './manager.ts';
import { VC_API_VERSION, VC_GROUP, VC_PLURAL, VC_VERSION, virtualClusterCRD } from './virtualcluster-crd.ts';

export interface AdminClusterOptions {
  readonly dataDir: string;
  readonly storage: StorageConfig;
  /** The root client CA: the admin API accepts certificates it issued directly. */
  readonly rootCA: X509Certificate;
  readonly adminTokenHashes: readonly string[];
  readonly manager: ClusterManager;
  /** PEM of the CA that signed the serving certificate (kubeconfigs trust it). */
  readonly servingCA: string;
  /** https://HOST:PORT as clients reach the server. */
  readonly externalUrl: () => string;
}

/** Open the admin cluster and install what it serves. */
export async function openAdminCluster(opts: AdminClusterOptions): Promise<VirtualCluster> {
  const { openStore } = await import('../../storage/open.ts');
  let kv;
  if (opts.storage.backend === 'etcd') {
    kv = await openStore({ backend: 'etcd', endpoints: [...opts.storage.endpoints], prefix: '/kubevisor/_admin/' });
  } else {
    const dir = join(opts.dataDir, 'admin');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    kv = await openStore({ backend: 'sqlite', path: join(dir, 'state.db') });
  }
  const vc = await VirtualCluster.open('admin', kv, builtinRegistry());
  await installAccessControl(vc);
  // A fresh admin cluster is bootstrapped as a tenant cluster is (namespaces, the kubernetes
  // service, the RBAC policy): its state, before anything of its own, is the image the
  // first tenant cluster is written from.
  if (vc.captureImage) await captureImage(kv);
  vc.certIssuer = opts.rootCA;
  vc.tokens.push(new StaticTokens([...opts.adminTokenHashes]));
  // A busy platform team may script many creates; the admin API is not a tenant.
  vc.limits = { maxObjects: undefined, maxRequestsInFlight: 1000, maxWatches: 10_000 };
  const crdDef = vc.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (crdDef && !vc.store.peek(crdDef, undefined, `${VC_PLURAL}.${VC_GROUP}`)) {
    try {
      await vc.store.create(crdDef, undefined, virtualClusterCRD());
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }
  serveAdminSubresources(vc, opts);
  return vc;
}

function kubeconfigSubresource(opts: AdminClusterOptions) {
  return async (ctx: ResourceContext): Promise<void> => {
    if (ctx.info.verb !== 'get') throw errors.methodNotAllowed(ctx.req.method ?? '', `${VC_PLURAL}/kubeconfig`);
    const name = ctx.info.name as string;
    const obj = requireCluster(ctx, name);
    // Created a moment ago and not reconciled yet (no status): wait for the manager to
    // know it rather than answer 404 to a client that just created it.
    if (!opts.manager.get(name) && obj.status === undefined) await opts.manager.whenKnown(name, 5000);
    const creds = await opts.manager.credentials(name);
    const body: KubeObject = {
      apiVersion: VC_API_VERSION,
      kind: 'Kubeconfig',
      metadata: { name },
      server: `${opts.externalUrl()}/clusters/${name}`,
      certificateAuthorityData: Buffer.from(opts.servingCA).toString('base64'),
      clientCertificateData: Buffer.from(creds.certChainPem).toString('base64'),
      clientKeyData: Buffer.from(creds.keyPem).toString('base64'),
      token: creds.token,
    };
    writeObject(ctx.res, 200, body, 'json');
  };
}

function requireCluster(ctx: ResourceContext, name: string): KubeObject {
  const obj = ctx.cluster.store.peek(ctx.def, undefined, name);
  if (!obj) throw errors.notFound({ group: VC_GROUP, resource: VC_PLURAL }, name);
  return obj;
}

function serveAdminSubresources(vc: VirtualCluster, opts: AdminClusterOptions): void {
  const key = (sub: string) => `${VC_GROUP}/${VC_PLURAL}/${sub}`;
  vc.subresources.set(key('kubeconfig'), kubeconfigSubresource(opts));

  vc.subresources.set(key('snapshot'), async (ctx) => {
    if (ctx.info.verb !== 'get') throw errors.methodNotAllowed(ctx.req.method ?? '', `${VC_PLURAL}/snapshot`);
    const name = ctx.info.name as string;
    requireCluster(ctx, name);
    const { writeSnapshot } = await import('../../storage/snapshot.ts');
    await opts.manager.withStore(name, async (kv) => {
      ctx.res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${name}.kvsnap"`,
      });
      await writeSnapshot(kv, ctx.res);
      ctx.res.end();
    });
  });

  vc.subresources.set(key('restore'), async (ctx) => {
    if (ctx.info.verb !== 'create') throw errors.methodNotAllowed(ctx.req.method ?? '', `${VC_PLURAL}/restore`);
    const name = ctx.info.name as string;
    const { restoreSnapshot, readSnapshot } = await import('../../storage/snapshot.ts');
    // Check the whole file before anything of the cluster changes.
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    try {
      await readSnapshot(data);
    } catch (e) {
      throw errors.badRequest(`not a usable snapshot: ${(e as Error).message}`);
    }
    let obj = ctx.cluster.store.peek(ctx.def, undefined, name);
    if (!obj) {
      obj = await ctx.cluster.store.create(ctx.def, undefined, { apiVersion: VC_API_VERSION, kind: 'VirtualCluster', metadata: { name }, spec: {} });
      await waitFor(() => opts.manager.get(name) !== undefined, 5000);
    }
    await opts.manager.replaceData(name, async (kv) => { await restoreSnapshot(kv, data); });
    writeObject(ctx.res, 200, ctx.cluster.store.peek(ctx.def, undefined, name) ?? obj, 'json');
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw errors.serviceUnavailable('the virtual cluster did not start in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { VC_GROUP, VC_VERSION, VC_PLURAL };
