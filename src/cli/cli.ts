// The kubevisor command line: dispatch to commands, print usage errors
// kubectl-style. Commands load lazily, so `--help` and `version` stay fast and
// a command's dependencies load only when it runs.
import { parseFlags, UsageError } from './flags.ts';

const ROOT_HELP = `kubevisor runs virtual Kubernetes clusters in one Node.js process.

Usage:
  kubevisor [command] [flags]

Commands:
  up          Start a cluster's API server and point kubectl at it
  version     Print the kubevisor version

Flags:
  -h, --help      help for kubevisor
      --version   print the kubevisor version

Use "kubevisor [command] --help" for more information about a command.
`;

const COMMANDS = ['up', 'version', 'help'] as const;

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
  switch (first) {
    case 'up': {
      const { parseUpArgs, runUp, UP_HELP } = await import('./commands/up.ts');
      const options = parseUpArgs(rest);
      if (options === 'help') process.stdout.write(UP_HELP);
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
      else if (topic === 'version') process.stdout.write((await import('./commands/version.ts')).VERSION_HELP);
      else if (topic === undefined) process.stdout.write(ROOT_HELP);
      else throw new UsageError(`unknown help topic "${topic}"`, 'kubevisor');
      return;
    }
    default: {
      const suggestion = COMMANDS.find((c) => c.startsWith(first.slice(0, 2)));
      const hint = suggestion ? `\n\nDid you mean this?\n\t${suggestion}\n` : '';
      throw new UsageError(`unknown command "${first}" for "kubevisor"${hint}`, 'kubevisor');
    }
  }
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
