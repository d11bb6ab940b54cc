// `kubevisor delete NAME...`: delete virtual clusters (and their data), and
// remove their contexts from the kubeconfig.
import { clientForArgs, kubeconfigToEdit, type AdminClient } from '../admin-client.ts';
import { bool, CONNECTION_FLAGS, checkClusterName, duration, WAIT_FLAGS, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { UsageError } from '../flags.ts';
import { editKubeconfig, removeContext, type RemoveResult } from '../kubeconfig-contexts.ts';
import { contextFor, isNotFound, itemPath, listClusters, waitForDeletion } from '../virtual-clusters.ts';

const COMMAND = 'kubevisor delete';

export const def: CommandDef = {
  name: 'delete',
  summary: 'Delete virtual clusters and their data',
  description: `Delete virtual clusters with all their data, and remove their contexts
("kubevisor_NAME") from the kubeconfig. When the current context was one of
them, the context that was current before "kubevisor connect" is restored.`,
  usage: 'delete (NAME... | --all) [flags]',
  examples: [
    ['Delete "dev"', 'kubevisor delete dev'],
    ['Delete two clusters without waiting for their data to be removed', 'kubevisor delete a b --wait=false'],
    ['Delete every virtual cluster', 'kubevisor delete --all'],
  ],
  flags: [
    ...CONNECTION_FLAGS,
    { name: 'all', type: 'bool', usage: 'delete every virtual cluster of the server' },
    ...WAIT_FLAGS.map((f) => (f.name === 'wait' ? { ...f, usage: 'wait until the clusters and their data are gone' } : f)),
  ],
  completesClusters: true,
};

async function forgetContext(path: string, name: string, io: CommandIo): Promise<void> {
  const { removed, switchedTo } = await editKubeconfig<Pick<RemoveResult, 'removed' | 'switchedTo'>>(path, (text, where) => {
    if (text.trim() === '') return { text: undefined, result: { removed: false, switchedTo: undefined } };
    const result = removeContext(text, contextFor(name), where);
    return { text: result.removed || result.switchedTo !== undefined ? result.text : undefined, result };
  }, false);
  if (removed) io.out.write(`Removed context "${contextFor(name)}" from ${path}.\n`);
  if (switchedTo !== undefined) io.out.write(switchedTo === '' ? 'Unset the current context.\n' : `Switched to context "${switchedTo}".\n`);
}

async function deleteOne(client: AdminClient, name: string, wait: boolean, timeoutMs: number, io: CommandIo): Promise<boolean> {
  let found = true;
  try {
    await client.json(itemPath(name), { method: 'DELETE', json: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    found = false;
    io.err.write(`${(err as Error).message}\n`);
  }
  if (found && wait) await waitForDeletion(client, name, timeoutMs);
  if (found) io.out.write(`Virtual cluster "${name}" deleted.\n`);
  return found;
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const all = bool(args, 'all', false);
  if (all && args.positionals.length > 0) throw new UsageError('names cannot be given with --all', COMMAND);
  if (!all && args.positionals.length === 0) throw new UsageError('give the names of virtual clusters to delete, or --all', COMMAND);
  const names = all ? [] : [...new Set(args.positionals.map((n) => checkClusterName(n, 'delete')))];
  const wait = bool(args, 'wait', true);
  const timeoutMs = duration(args, 'timeout', 120_000);
  const client = await clientForArgs(args.values, io);
  if (all) {
    names.push(...(await listClusters(client)).items.map((vc) => vc.metadata.name));
    if (names.length === 0) {
      io.err.write('No virtual clusters found.\n');
      return 0;
    }
  }
  const path = kubeconfigToEdit(args.values, io);
  let failed = false;
  for (const name of names) {
    if (!(await deleteOne(client, name, wait, timeoutMs, io))) failed = true;
    // The context goes even when the cluster was already gone: it would only fail.
    await forgetContext(path, name, io);
  }
  return failed ? 1 : 0;
}
