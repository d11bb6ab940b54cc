// An in-process virtual cluster for controller tests: the real generic store,
// watch cache and built-in registry, on an in-memory SQLite store.

import { openStore } from '../../src/storage/open.ts';
import { builtinRegistry } from '../../src/registry/builtin.ts';
import { installCodecs } from '../../src/server/codecs.ts';
import { VirtualCluster } from '../../src/server/cluster.ts';
import { controllerContext, type ControllerContext } from '../../src/controllers/context.ts';

export interface TestCluster {
  vc: VirtualCluster;
  ctx: ControllerContext;
  close(): Promise<void>;
}

export async function openTestCluster(name = 'test'): Promise<TestCluster> {
  installCodecs();
  const kv = await openStore({ backend: 'sqlite', path: ':memory:' });
  const vc = await VirtualCluster.open(name, kv, builtinRegistry());
  return { vc, ctx: controllerContext(vc), close: () => vc.close() };
}

/** Wait until `cond()` holds (polling the in-process state), or fail after `ms`. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
