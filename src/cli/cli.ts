// The kubevisor command line: dispatch to commands, print usage errors
// kubectl-style. Commands load lazily, so `--help` and `version` stay fast and
// a command's dependencies load only when it runs.
import { parseFlags, UsageError } from './flags.ts';
import { CLUSTER_COMMANDS, findClusterCommand } from './commands/registry.ts';

const ROOT_HELP = `kubevisor runs virtual Kubernetes clusters in one Node.js process.

Usage:
  kubevisor [command] [flags]

Commands:
  up          Start a cluster's API server and point kubectl at it
  serve       Serve many virtual clusters, with the admin API at the root
${CLUSTER_COMMANDS.filter((c) => c.name !== 'completion').map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join('\n')}
  completion  ${findClusterCommand('completion')!.summary}
  version     Print the kubevisor version

Flags:
  -h, --help      help for kubevisor
      --version   print the kubevisor version

Use "kubevisor [command] --help" for more information about a command.
`;

const COMMANDS = ['up', 'serve', 'version', 'help', ...CLUSTER_COMMANDS.flatMap((c) => [c.name, ...c.aliases])] as const;

async function dispatch(argv: readonly string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    process.stdout.write(ROOT_HELP);
    return;
  }
  if (first === '--version') {
    const { versionText } = await import('./commands/version.ts');
    process.stdout.write(versionText());
    return;
  }
  if (first.startsWith('-')) {
    // A flag before any command: only the root's own flags are allowed there.
    parseFlags([first], { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }, 'kubevisor');
    throw new UsageError(`unexpected flag ${first} before a command`, 'kubevisor');
  }
  const clusterCommand = findClusterCommand(first);
  if (clusterCommand) {
    const [mod, { runCommand }] = await Promise.all([clusterCommand.load(), import('./command.ts')]);
    const code = await runCommand(mod, rest);
    if (code !== 0) process.exitCode = code;
    return;
  }
  switch (first) {
    case 'up': {
      const { parseUpArgs, runUp, UP_HELP } = await import('./commands/up.ts');
      const options = parseUpArgs(rest);
      if (options === 'help') process.stdout.write(UP_HELP);
      else await runUp(options);
      return;
    }
    case 'serve': {
      const { parseServeArgs, runUp, SERVE_HELP } = await import('./commands/up.ts');
      const options = parseServeArgs(rest);
      if (options === 'help') process.stdout.write(SERVE_HELP);
      else await runUp(options);
      return;
    }
    case 'version': {
      const { versionText, VERSION_HELP } = await import('./commands/version.ts');
      const { values, positionals } = parseFlags(rest, { help: { type: 'boolean', short: 'h' } }, 'kubevisor version');
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'kubevisor version');
      process.stdout.write(values.help ? VERSION_HELP : versionText());
      return;
    }
    case 'help': {
      const topic = rest[0];
      if (topic === 'up') process.stdout.write((await import('./commands/up.ts')).UP_HELP);
      else if (topic === 'serve') process.stdout.write((await import('./commands/up.ts')).SERVE_HELP);
      else if (topic === 'version') process.stdout.write((await import('./commands/version.ts')).VERSION_HELP);
      else if (topic !== undefined && findClusterCommand(topic)) {
        const [mod, { helpText }] = await Promise.all([findClusterCommand(topic)!.load(), import('./command.ts')]);
        process.stdout.write(helpText(mod.def));
      } else if (topic === undefined) process.stdout.write(ROOT_HELP);
      else throw new UsageError(`unknown help topic "${topic}"`, 'kubevisor');
      return;
    }
    default: {
      const suggestion = suggest(first, COMMANDS);
      const hint = suggestion ? `\n\nDid you mean this?\n\t${suggestion}\n` : '';
      throw new UsageError(`unknown command "${first}" for "kubevisor"${hint}`, 'kubevisor');
    }
  }
}

/** Levenshtein distance, for "did you mean" (cobra suggests within 2 edits, or by prefix). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function suggest(typed: string, commands: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of commands) {
    const d = c.startsWith(typed) ? 0 : distance(typed.toLowerCase(), c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Run the command line; sets process.exitCode on failure. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await dispatch(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\nSee '${err.command} --help' for usage.\n`);
    } else {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
