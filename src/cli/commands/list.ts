// `kubevisor list`: the virtual clusters of the server, as a table or as objects.
import { clientForArgs, loadKubeconfig } from '../admin-client.ts';
import { CONNECTION_FLAGS, str, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { UsageError } from '../flags.ts';
import { age, listOf, table, toJson, toYaml } from '../output.ts';
import { contextFor, listClusters, phaseOf, versionOf, type VirtualCluster } from '../virtual-clusters.ts';

export const def: CommandDef = {
  name: 'list',
  aliases: ['ls'],
  summary: 'List virtual clusters',
  description: `List the server's virtual clusters.

CONNECTED is True for the cluster whose context ("kubevisor_NAME") is the
current context of your kubeconfig.`,
  usage: 'list [flags]',
  examples: [
    ['List virtual clusters', 'kubevisor list'],
    ['Their names only, one a line', 'kubevisor list -o name'],
    ['Everything, as YAML', 'kubevisor list -o yaml'],
  ],
  flags: [
    ...CONNECTION_FLAGS,
    { name: 'no-headers', type: 'bool', usage: 'print the table without its header line' },
    { name: 'output', short: 'o', type: 'string', values: ['table', 'json', 'yaml', 'name'], default: 'table', usage: 'output format: table, json, yaml or name' },
  ],
};

export const HEADERS = ['NAME', 'STATUS', 'VERSION', 'CONNECTED', 'AGE', 'OBJECTS'] as const;

/** One table row of a cluster. */
export function row(vc: VirtualCluster, currentContext: string | undefined, now: Date): string[] {
  const objects = vc.status?.objects;
  return [
    vc.metadata.name,
    phaseOf(vc),
    versionOf(vc) ?? '<unknown>',
    currentContext === contextFor(vc.metadata.name) ? 'True' : 'False',
    age(vc.metadata.creationTimestamp, now),
    typeof objects === 'number' ? String(objects) : '<unknown>',
  ];
}

/** The table `list` prints. */
export function listTable(items: readonly VirtualCluster[], currentContext: string | undefined, now: Date, headers = true): string {
  const rows = items.map((vc) => row(vc, currentContext, now));
  return table(headers ? [[...HEADERS], ...rows] : rows);
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`, 'kubevisor list');
  const output = str(args, 'output') ?? 'table';
  const client = await clientForArgs(args.values, io);
  const list = await listClusters(client);
  switch (output) {
    case 'json':
      io.out.write(toJson(listOf(list.items)));
      return 0;
    case 'yaml':
      io.out.write(await toYaml(listOf(list.items)));
      return 0;
    case 'name':
      for (const vc of list.items) io.out.write(`${vc.metadata.name}\n`);
      return 0;
  }
  if (list.items.length === 0) {
    io.err.write('No virtual clusters found. Create one with "kubevisor create NAME".\n');
    return 0;
  }
  const kubeconfig = typeof args.values.kubeconfig === 'string' ? args.values.kubeconfig : undefined;
  const { currentContext } = await loadKubeconfig({ kubeconfig, env: io.env, home: io.home, cwd: io.cwd });
  io.out.write(listTable(list.items, currentContext, io.now(), args.values['no-headers'] !== true));
  return 0;
}
