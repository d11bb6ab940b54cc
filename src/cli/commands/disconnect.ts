// `kubevisor disconnect`: switch the kubeconfig back from a virtual cluster's
// context to the context that was current before `kubevisor connect`.
import { kubeconfigToEdit } from '../admin-client.ts';
import type { CommandDef, CommandIo, ParsedArgs } from '../command.ts';
import { UsageError } from '../flags.ts';
import { disconnectContext, editKubeconfig } from '../kubeconfig-contexts.ts';

export const def: CommandDef = {
  name: 'disconnect',
  summary: 'Switch kubectl back to the context before connect',
  description: `Switch kubectl back to the context that was current before "kubevisor connect".

The current context must be a virtual cluster's ("kubevisor_NAME"). Its
entries stay in the kubeconfig ("kubevisor delete NAME" removes them).`,
  usage: 'disconnect [flags]',
  examples: [['Back to the context you had before connecting', 'kubevisor disconnect']],
  flags: [{ name: 'kubeconfig', type: 'string', file: true, usage: 'path to the kubeconfig file (default: the first of $KUBECONFIG, or ~/.kube/config)' }],
};

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`, 'kubevisor disconnect');
  const path = kubeconfigToEdit(args.values, io);
  const { to } = await editKubeconfig(path, (text, where) => {
    const result = disconnectContext(text, where);
    return { text: result.text, result };
  }, false);
  io.out.write(to === '' ? 'Unset the current context (none was current before connect).\n' : `Switched to context "${to}".\n`);
  return 0;
}
