// The commands that manage virtual clusters, loaded only when run (so
// `kubevisor --help` stays fast). cli.ts dispatches to them; the root help
// and shell completion list them.
import type { CommandModule } from '../command.ts';

export interface ClusterCommandEntry {
  readonly name: string;
  readonly aliases: readonly string[];
  /** One line in the root help; the same as the module's def.summary. */
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export const CLUSTER_COMMANDS: readonly ClusterCommandEntry[] = [
  { name: 'create', aliases: [], summary: 'Create a virtual cluster and connect to it', load: () => import('./create.ts') },
  { name: 'list', aliases: ['ls'], summary: 'List virtual clusters', load: () => import('./list.ts') },
  { name: 'describe', aliases: [], summary: 'Show details of a virtual cluster', load: () => import('./describe.ts') },
  { name: 'connect', aliases: [], summary: 'Point kubectl at a virtual cluster', load: () => import('./connect.ts') },
  { name: 'disconnect', aliases: [], summary: 'Switch kubectl back to the context before connect', load: () => import('./disconnect.ts') },
  { name: 'delete', aliases: [], summary: 'Delete virtual clusters and their data', load: () => import('./delete.ts') },
  { name: 'pause', aliases: [], summary: 'Pause a virtual cluster (keeps its data, frees its memory)', load: () => import('./pause.ts') },
  { name: 'resume', aliases: [], summary: 'Resume a paused or sleeping virtual cluster', load: () => import('./resume.ts') },
  { name: 'snapshot', aliases: [], summary: 'Save a virtual cluster\'s data to a file', load: () => import('./snapshot.ts') },
  { name: 'restore', aliases: [], summary: 'Replace a virtual cluster\'s data with a snapshot', load: () => import('./restore.ts') },
  { name: 'completion', aliases: [], summary: 'Print a shell completion script (bash, zsh, fish)', load: () => import('./completion.ts') },
];

/** The entry for a command name or alias. */
export function findClusterCommand(name: string): ClusterCommandEntry | undefined {
  return CLUSTER_COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
}
