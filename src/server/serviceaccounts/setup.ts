// Service-account tokens for one virtual cluster: its signing key, the token
// authenticator, the serviceaccounts/token subresource and the issuer
// discovery documents, attached to the cluster at startup.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VirtualCluster } from '../cluster.ts';
import { readBody } from '../http/body.ts';
import { objectBodyFormat } from '../http/negotiate.ts';
import { writeObject } from '../http/respond.ts';
import { addWarnings } from '../handlers/warnings.ts';
import { errors } from '../../api/errors.ts';
import { isPlainObject, type KubeObject } from '../../api/types.ts';
import { admitSubresourceCreate } from '../admission/subresource-create.ts';
import { ClusterSigningKey } from './keys.ts';
import { cacheLookup, storeLookup } from './lookup.ts';
import { JWKS_PATH, OPENID_CONFIG_PATH, oidcResponse } from './oidc.ts';
import { handleTokenRequest } from './token-request.ts';
import { ServiceAccountTokenAuthenticator } from './tokens.ts';

/** The issuer of a cluster's tokens, as a real cluster names it by default. */
export const defaultIssuer = 'https://kubernetes.default.svc.cluster.local';

export interface ServiceAccountSetup {
  authenticator: ServiceAccountTokenAuthenticator;
  /** Answer /.well-known/openid-configuration and /openid/v1/jwks; false for other paths. */
  serveDiscovery(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function setupServiceAccounts(vc: VirtualCluster, dataDir: string, issuer = defaultIssuer): ServiceAccountSetup {
  const key = ClusterSigningKey.forCluster(dataDir, vc.name);
  const authenticator = new ServiceAccountTokenAuthenticator({ issuer, keys: key, lookup: cacheLookup(vc) });
  vc.subresources.set('/serviceaccounts/token', async (ctx, neg) => {
    const format = objectBodyFormat(ctx.req.headers['content-type']);
    if (format !== 'json' && format !== 'yaml' && format !== 'protobuf') {
      throw errors.unsupportedMediaType(String(ctx.req.headers['content-type'] ?? ''), ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    if (ctx.info.verb !== 'create') throw errors.methodNotAllowed(ctx.req.method ?? '', 'serviceaccounts/token');
    const { decodeRaw } = await import('../handlers/decode.ts');
    if (format === 'yaml') await (await import('../../api/decode/yaml-lib.ts')).loadYaml();
    const body = decodeRaw(await readBody(ctx.req), format, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
    if (isPlainObject(body)) {
      if (!isPlainObject(body.metadata)) body.metadata = {};
      const dryRun = ctx.query.getAll('dryRun').length > 0;
      await admitSubresourceCreate(vc, ctx, { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, object: body as KubeObject, name: ctx.info.name as string, dryRun });
    }
    const result = await handleTokenRequest({ lookup: storeLookup(vc), key: () => key.get(), issuer }, body, ctx.info.namespace as string, ctx.info.name as string);
    addWarnings(ctx.res, result.warnings);
    writeObject(ctx.res, result.status, result.object, neg.encoding);
  });
  // The syncer's tokens for synced pods: short-lived, never the kubelet's extended year.
  vc.requestToken = async (namespace, name, body) =>
    (await handleTokenRequest({ lookup: storeLookup(vc), key: () => key.get(), issuer, extendExpiration: false }, body, namespace, name)).object;
  return {
    authenticator,
    async serveDiscovery(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      if (path !== OPENID_CONFIG_PATH && path !== JWKS_PATH) return false;
      // The JWKS is published at this server's own address, as clients reach it.
      const r = oidcResponse(path, { issuer, keys: [await key.get()], externalAddress: req.headers.host ?? '127.0.0.1' });
      if (!r) return false;
      res.writeHead(r.status, r.headers);
      res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      return true;
    },
  };
}
