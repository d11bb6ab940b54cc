// The HTTP side of pods/eviction, for VirtualCluster.subresources
// ("/pods/eviction"): decode the Eviction body, admit it (webhooks and
// policies see a CREATE of pods/eviction), evict, answer with the Status.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { SubresourceHandler } from '../../server/cluster.ts';
import { admitSubresourceCreate } from '../../server/admission/subresource-create.ts';
import { decodeRaw } from '../../server/handlers/decode.ts';
import { readBody } from '../../server/http/body.ts';
import { objectBodyFormat } from '../../server/http/negotiate.ts';
import { writeObject } from '../../server/http/respond.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';
import type { ControllerContext } from '../context.ts';
import { evictPod } from './eviction.ts';

/** A handler serving POST pods/<name>/eviction with evictPod. */
export function evictionHandler(ctx: ControllerContext): SubresourceHandler {
  return async (rctx, neg) => {
    const { info, req, query } = rctx;
    if (info.verb !== 'create') throw errors.methodNotAllowed(req.method ?? '', 'pods/eviction');
    const dry = query.getAll('dryRun');
    for (const v of dry) if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
    const format = objectBodyFormat(req.headers['content-type']);
    const body = await readBody(req);
    if (format === 'yaml') await loadYaml();
    if (format !== 'json' && format !== 'yaml' && format !== 'protobuf') {
      throw errors.unsupportedMediaType(String(req.headers['content-type'] ?? ''), ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    const raw = decodeRaw(body, format, { group: 'policy', version: 'v1', kind: 'Eviction' }) as KubeObject;
    if (typeof raw.metadata !== 'object' || raw.metadata === null) raw.metadata = {};
    await admitSubresourceCreate(ctx.vc, rctx, { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, object: raw, name: info.name as string, dryRun: dry.length > 0 });
    const status = await evictPod(ctx, info.namespace as string, info.name as string, raw, { dryRun: dry.length > 0 });
    writeObject(rctx.res, status.code as number, status, neg.encoding);
  };
}
