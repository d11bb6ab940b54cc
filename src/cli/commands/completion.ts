// `kubevisor completion bash|zsh|fish`: a shell completion script for the
// commands, their flags (and the values some flags take), and virtual cluster
// names (from `kubevisor list -o name`).
import { execFile } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../flags.ts';
import type { CommandDef, CommandIo, FlagDef, ParsedArgs } from '../command.ts';
import { HELP_FLAG } from '../command.ts';
import { CLUSTER_COMMANDS } from './registry.ts';
import { compareUtf8 } from '../../api/decode/go-text.ts';

export const def: CommandDef = {
  name: 'completion',
  summary: 'Print a shell completion script (bash, zsh, fish)',
  description: `Print a shell completion script for kubevisor: commands, flags, flag values
and virtual cluster names (asked of the server with "kubevisor list -o name").`,
  usage: 'completion (bash|zsh|fish) [flags]',
  examples: [
    ['Completion in the current bash', 'source <(kubevisor completion bash)'],
    ['For every new bash', 'kubevisor completion bash > ~/.local/share/bash-completion/completions/kubevisor'],
    ['For zsh (a directory of $fpath)', 'kubevisor completion zsh > "${fpath[1]}/_kubevisor"'],
    ['For fish', 'kubevisor completion fish > ~/.config/fish/completions/kubevisor.fish'],
  ],
  flags: [],
};

/** What a script completes for one command. */
export interface CompletionCommand {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly flags: readonly FlagDef[];
  /** What the positional arguments are. */
  readonly args: 'clusters' | 'cluster-file' | 'shells' | 'commands' | 'none';
}

function argsOf(def: CommandDef): CompletionCommand['args'] {
  if (def.name === 'snapshot' || def.name === 'restore') return 'cluster-file';
  if (def.name === 'completion') return 'shells';
  return def.completesClusters ? 'clusters' : 'none';
}

/** Flags listed in a help text's "Flags:" section, cobra-style. */
export function flagsFromHelp(help: string): FlagDef[] {
  const section = help.split(/^Flags:\n/m)[1] ?? '';
  const flags: FlagDef[] = [];
  for (const line of section.split('\n')) {
    const m = /^\s+(?:-(\w), )?--([\w-]+)(?: (\w+))?\s{2,}(.*)$/.exec(line);
    if (!m) continue;
    const [, short, name, type, usage] = m;
    flags.push({ name: name!, ...(short ? { short } : {}), type: type ? 'string' : 'bool', usage: usage!.trim(), ...(name === 'kubeconfig' || name === 'data-dir' ? { file: true } : {}) });
  }
  return flags;
}

/** Commands and summaries listed in the root help's "Commands:" section. */
export function commandsFromHelp(help: string): Array<[string, string]> {
  const section = (help.split(/^Commands:\n/m)[1] ?? '').split(/\n\n/)[0] ?? '';
  const out: Array<[string, string]> = [];
  for (const line of section.split('\n')) {
    const m = /^\s+([a-z][\w-]*)\s{2,}(.*)$/.exec(line);
    if (m) out.push([m[1]!, m[2]!.trim()]);
  }
  return out;
}

/** The CLI's entry point beside this module: main.ts in src/, main.js in dist/. */
const MAIN = fileURLToPath(new URL(`../main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

function helpOf(args: readonly string[]): Promise<string> {
  return new Promise((resolveHelp) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 20_000 }, (_err, stdout) => resolveHelp(String(stdout)));
  });
}

/** Every command: the cluster commands from their definitions, the others (up, serve, ...) from their help. */
export async function completionCommands(root?: string): Promise<CompletionCommand[]> {
  const own = await Promise.all(
    CLUSTER_COMMANDS.map(async (entry) => {
      const { def: d } = await entry.load();
      return { name: d.name, aliases: entry.aliases, summary: entry.summary, flags: [...d.flags, HELP_FLAG], args: argsOf(d) } satisfies CompletionCommand;
    }),
  );
  const known = new Set([...own.map((c) => c.name), 'help']);
  const rootHelp = root ?? (await helpOf(['--help']));
  const others = await Promise.all(
    commandsFromHelp(rootHelp)
      .filter(([name]) => !known.has(name))
      .map(async ([name, summary]) => ({ name, aliases: [], summary, flags: flagsFromHelp(await helpOf([name, '--help'])), args: 'none' as const })),
  );
  const help: CompletionCommand = { name: 'help', aliases: [], summary: 'Help about any command', flags: [], args: 'commands' };
  return [...own, ...others, help].sort((a, b) => compareUtf8(a.name, b.name));
}

const takesValue = (f: FlagDef) => f.type !== 'bool';
const firstLine = (s: string) => s.split('\n')[0]!.replace(/\s*\(default[^)]*\)\s*$/, '');
const CONNECTION = '${conn[@]}';

export function bashScript(commands: readonly CompletionCommand[]): string {
  const names = commands.flatMap((c) => [c.name, ...c.aliases]).join(' ');
  const cases = commands.map((c) => {
    const flags = c.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]).join(' ');
    const valueCases = c.flags.filter(takesValue).map((f) => {
      const pattern = [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])].join('|');
      const action = f.values ? `COMPREPLY=($(compgen -W "${f.values.join(' ')}" -- "$cur"))` : f.file ? 'COMPREPLY=($(compgen -f -- "$cur"))' : 'COMPREPLY=()';
      return `        ${pattern}) ${action}; return ;;`;
    });
    const positional = {
      clusters: `COMPREPLY=($(compgen -W "$(kubevisor list -o name ${CONNECTION} 2>/dev/null)" -- "$cur"))`,
      'cluster-file': `if [[ $npos -eq 0 ]]; then COMPREPLY=($(compgen -W "$(kubevisor list -o name ${CONNECTION} 2>/dev/null)" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi`,
      shells: 'COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))',
      commands: `COMPREPLY=($(compgen -W "${names}" -- "$cur"))`,
      none: 'COMPREPLY=()',
    }[c.args];
    return `    ${[c.name, ...c.aliases].join('|')})
      case "$prev" in
${valueCases.length > 0 ? valueCases.join('\n') + '\n' : ''}      esac
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${flags}" -- "$cur")); return; fi
      ${positional}
      ;;`;
  });
  return `# bash completion for kubevisor                            -*- shell-script -*-
# Load it with: source <(kubevisor completion bash)

_kubevisor() {
  local cur prev cmd="" npos=0 dashdash=0 i w
  local -a conn=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ $w == -- ]]; then dashdash=1; break; fi
    case "$w" in
      --kubeconfig|--context|--server) conn+=("$w" "\${COMP_WORDS[i+1]}") ;;
    esac
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd=$w
    elif [[ $w != -* && \${COMP_WORDS[i-1]} != -* ]]; then
      npos=$((npos + 1))
    fi
  done
  if [[ $dashdash -eq 1 ]]; then
    # connect NAME -- COMMAND: complete as the shell would.
    COMPREPLY=($(compgen -c -- "$cur"))
    return
  fi
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${names} --help --version" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases.join('\n')}
  esac
}

complete -o default -F _kubevisor kubevisor
`;
}

/** Text safe inside a zsh _arguments description or _describe item. */
function zshText(s: string): string {
  return firstLine(s).replace(/[[\]]/g, '').replace(/:/g, '\\:').replace(/'/g, `'\\''`);
}

export function zshScript(commands: readonly CompletionCommand[]): string {
  const list = commands.flatMap((c) => [c.name, ...c.aliases].map((n) => `    '${n}:${zshText(c.summary)}'`)).join('\n');
  const cases = commands.map((c) => {
    const specs = c.flags.flatMap((f) => {
      const action = !takesValue(f) ? '' : f.values ? `:${f.name}:(${f.values.join(' ')})` : f.file ? `:file:_files` : `:${f.name}: `;
      const eq = takesValue(f) ? '=' : '';
      const desc = `[${zshText(f.usage)}]`;
      if (f.short) return [`'(-${f.short} --${f.name})'{-${f.short},--${f.name}${eq}}'${desc}${action}'`];
      return [`'--${f.name}${eq}${desc}${action}'`];
    });
    const positional = {
      clusters: [`'*:cluster:_kubevisor_clusters'`],
      'cluster-file': [`'1:cluster:_kubevisor_clusters'`, `'2:file:_files'`],
      shells: [`'1:shell:(bash zsh fish)'`],
      commands: [`'1:command:_kubevisor_commands'`],
      none: [],
    }[c.args];
    return `    ${[c.name, ...c.aliases].join('|')})
      _arguments -s \\
        ${[...specs, ...positional].join(' \\\n        ')}
      ;;`;
  });
  return `#compdef kubevisor
# zsh completion for kubevisor. Install: kubevisor completion zsh > "\${fpath[1]}/_kubevisor"
# or, for the current shell: source <(kubevisor completion zsh)

_kubevisor_commands() {
  local -a commands
  commands=(
${list}
  )
  _describe -t commands 'kubevisor command' commands
}

_kubevisor_clusters() {
  local -a clusters conn
  local i
  for ((i = 2; i < CURRENT; i++)); do
    case $words[i] in
      --kubeconfig|--context|--server) conn+=($words[i] $words[i+1]) ;;
    esac
  done
  clusters=(\${(f)"$(kubevisor list -o name $conn 2>/dev/null)"})
  _describe -t clusters 'virtual cluster' clusters
}

_kubevisor() {
  if (( CURRENT == 2 )); then
    _kubevisor_commands
    return
  fi
  local cmd=$words[2]
  local dd=\${words[(I)--]}
  if (( dd > 0 && dd < CURRENT )); then
    # connect NAME -- COMMAND: complete the command.
    shift $dd words
    (( CURRENT -= dd ))
    _normal
    return
  fi
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join('\n')}
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _kubevisor "$@"
else
  compdef _kubevisor kubevisor
fi
`;
}

function fishText(s: string): string {
  return firstLine(s).replace(/'/g, `\\'`);
}

export function fishScript(commands: readonly CompletionCommand[]): string {
  const all = commands.flatMap((c) => [c.name, ...c.aliases]).join(' ');
  const lines = [
    '# fish completion for kubevisor. Install: kubevisor completion fish > ~/.config/fish/completions/kubevisor.fish',
    '',
    'function __kubevisor_clusters',
    '    set -l conn',
    '    set -l words (commandline -opc)',
    '    for i in (seq (count $words))',
    '        switch $words[$i]',
    '            case --kubeconfig --context --server',
    '                set -a conn $words[$i] $words[(math $i + 1)]',
    '        end',
    '    end',
    '    kubevisor list -o name $conn 2>/dev/null',
    'end',
    '',
    'complete -c kubevisor -f',
    `complete -c kubevisor -n '__fish_use_subcommand' -l help -s h -d 'help for kubevisor'`,
    `complete -c kubevisor -n '__fish_use_subcommand' -l version -d 'print the kubevisor version'`,
  ];
  for (const c of commands) {
    for (const n of [c.name, ...c.aliases]) lines.push(`complete -c kubevisor -n '__fish_use_subcommand' -a ${n} -d '${fishText(c.summary)}'`);
  }
  for (const c of commands) {
    const when = `__fish_seen_subcommand_from ${[c.name, ...c.aliases].join(' ')}`;
    for (const f of c.flags) {
      let spec = `-l ${f.name}${f.short ? ` -s ${f.short}` : ''}`;
      if (takesValue(f)) spec += f.values ? ` -x -a '${f.values.join(' ')}'` : f.file ? ' -r -F' : ' -x';
      lines.push(`complete -c kubevisor -n '${when}' ${spec} -d '${fishText(f.usage)}'`);
    }
    if (c.args === 'clusters' || c.args === 'cluster-file') lines.push(`complete -c kubevisor -n '${when}' -a '(__kubevisor_clusters)'`);
    if (c.args === 'cluster-file') lines.push(`complete -c kubevisor -n '${when}' -F`);
    if (c.args === 'shells') lines.push(`complete -c kubevisor -n '${when}' -a 'bash zsh fish'`);
    if (c.args === 'commands') lines.push(`complete -c kubevisor -n '${when}' -a '${all}'`);
  }
  return lines.join('\n') + '\n';
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [shell, extra] = args.positionals;
  if (shell === undefined) throw new UsageError('a shell is required: bash, zsh or fish', 'kubevisor completion');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, 'kubevisor completion');
  const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell];
  if (!make) throw new UsageError(`unsupported shell "${shell}": expected bash, zsh or fish`, 'kubevisor completion');
  io.out.write(make(await completionCommands()));
  return 0;
}
