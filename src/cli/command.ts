// The shared frame of the commands that manage virtual clusters: their flag
// declarations (parsed kubectl/pflag-style: `--flag value`, `--flag=value`,
// `-o json`, `-ojson`, booleans as `--wait` or `--wait=false`, flags anywhere
// among the arguments, `--` ending them), the help text built from those
// declarations, and the streams and environment a command runs with.
import { homedir } from 'node:os';
import { UsageError } from './flags.ts';
import { parseDuration } from '../api/go-duration.ts';
import { compareUtf8 } from '../api/decode/go-text.ts';

export { parseDuration };

export type FlagType = 'string' | 'bool' | 'int' | 'duration';

export interface FlagDef {
  readonly name: string;
  readonly short?: string;
  readonly type: FlagType;
  readonly usage: string;
  /** The default as help prints it; booleans default to false unless "true". */
  readonly default?: string;
  /** Values the shell completion offers. */
  readonly values?: readonly string[];
  /** The flag names a file (shell completion completes paths). */
  readonly file?: boolean;
}

export interface CommandDef {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for the root help. */
  readonly summary: string;
  /** The text above Usage. */
  readonly description: string;
  /** After `kubevisor `, e.g. `create NAME [flags]`. */
  readonly usage: string;
  readonly examples: readonly (readonly [comment: string, command: string])[];
  readonly flags: readonly FlagDef[];
  /** Positional arguments are cluster names (shell completion). */
  readonly completesClusters?: boolean;
}

/** Flags every command that talks to the server takes. */
export const CONNECTION_FLAGS: readonly FlagDef[] = [
  { name: 'context', type: 'string', usage: 'the kubeconfig context of the kubevisor admin API (default "kubevisor-admin")' },
  { name: 'kubeconfig', type: 'string', file: true, usage: 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' },
  { name: 'server', type: 'string', usage: 'the address of the kubevisor server, https://HOST:PORT (overrides the context\'s)' },
];

export const HELP_FLAG: FlagDef = { name: 'help', short: 'h', type: 'bool', usage: 'help for COMMAND' };

export const WAIT_FLAGS: readonly FlagDef[] = [
  { name: 'timeout', type: 'duration', default: '2m0s', usage: 'how long --wait waits' },
  { name: 'wait', type: 'bool', default: 'true', usage: 'wait until the change is done' },
];

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean>>;
  readonly positionals: readonly string[];
  /** Arguments after `--`, or undefined without `--`. */
  readonly rest: readonly string[] | undefined;
}

const BOOL_VALUES: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, t: true, f: false, TRUE: true, FALSE: false, True: true, False: false };

/** Parse a command's arguments against its flags (plus --help). */
export function parseArgs(args: readonly string[], def: CommandDef): ParsedArgs {
  const command = `kubevisor ${def.name}`;
  const flags = [...def.flags, HELP_FLAG];
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  let rest: string[] | undefined;
  const set = (flag: FlagDef, value: string | undefined, raw: string): void => {
    if (flag.type === 'bool') {
      if (value === undefined) values[flag.name] = true;
      else if (Object.hasOwn(BOOL_VALUES, value)) values[flag.name] = BOOL_VALUES[value]!;
      else throw new UsageError(`invalid argument "${value}" for "${raw}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`, command);
      return;
    }
    if (value === undefined) throw new UsageError(`flag needs an argument: ${raw}`, command);
    values[flag.name] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest = args.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const flag = byName.get(name);
      if (!flag) throw new UsageError(`unknown flag: --${name}`, command);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (value === undefined && flag.type !== 'bool' && i + 1 < args.length) value = args[++i];
      set(flag, value, `--${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      const flag = byShort.get(letter);
      if (!flag) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`, command);
      let value: string | undefined = arg.length > 2 ? arg.slice(arg[2] === '=' ? 3 : 2) : undefined;
      if (flag.type === 'bool' && value !== undefined && arg[2] !== '=') {
        throw new UsageError(`unknown shorthand flag: '${value[0]}' in ${arg}`, command);
      }
      if (value === undefined && flag.type !== 'bool' && i + 1 < args.length) value = args[++i];
      set(flag, value, `-${letter}`);
    } else {
      positionals.push(arg);
    }
  }
  // Check typed values once, so each command reads them without more checks.
  for (const flag of flags) {
    const value = values[flag.name];
    if (typeof value !== 'string') continue;
    if (flag.type === 'int' && !/^\d+$/.test(value)) {
      throw new UsageError(`invalid argument "${value}" for "--${flag.name}" flag: must be a whole number`, command);
    }
    if (flag.type === 'duration' && parseDuration(value) === undefined) {
      throw new UsageError(`invalid argument "${value}" for "--${flag.name}" flag: time: invalid duration "${value}"`, command);
    }
    if (flag.values && !flag.values.includes(value)) {
      throw new UsageError(`invalid argument "${value}" for "--${flag.name}" flag: must be one of: ${flag.values.join(', ')}`, command);
    }
  }
  return { values, positionals, rest };
}

/** A Go duration's canonical form (time.Duration.String), for whole seconds and more: "2m0s", "1h0m0s", "45s". */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total === 0) return ms === 0 ? '0s' : `${ms}ms`;
  const h = Math.trunc(total / 3600);
  const m = Math.trunc((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function flagColumn(f: FlagDef): string {
  const typeName = f.type === 'bool' ? '' : ` ${f.type}`;
  return `${f.short ? `-${f.short}, ` : '    '}--${f.name}${typeName}`;
}

/** The help of a command, cobra-style: description, usage, aliases, examples, flags sorted by name. */
export function helpText(def: CommandDef): string {
  const flags = [...def.flags, { ...HELP_FLAG, usage: `help for ${def.name}` }].sort((a, b) => compareUtf8(a.name, b.name));
  const width = Math.max(...flags.map((f) => flagColumn(f).length));
  const lines = [def.description.trimEnd(), '', 'Usage:', `  kubevisor ${def.usage}`, ''];
  if (def.aliases && def.aliases.length > 0) lines.push('Aliases:', `  ${[def.name, ...def.aliases].join(', ')}`, '');
  if (def.examples.length > 0) {
    lines.push('Examples:');
    def.examples.forEach(([comment, command], i) => {
      if (i > 0) lines.push('');
      lines.push(`  # ${comment}`, `  ${command}`);
    });
    lines.push('');
  }
  lines.push('Flags:');
  for (const f of flags) {
    const usage = f.default === undefined || (f.type === 'bool' && f.default === 'false')
      ? f.usage
      : `${f.usage} (default ${f.type === 'string' ? JSON.stringify(f.default) : f.default})`;
    const [first, ...more] = usage.split('\n');
    lines.push(`  ${flagColumn(f).padEnd(width)}   ${first}`);
    for (const line of more) lines.push(`  ${''.padEnd(width)}   ${line}`);
  }
  return lines.join('\n') + '\n';
}

/** The streams and surroundings a command runs with; tests pass their own. */
export interface CommandIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly cwd: string;
  readonly now: () => Date;
  /** Read from for `-` as an input file. */
  readonly stdin: NodeJS.ReadableStream;
}

export function processIo(): CommandIo {
  return {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    home: homedir(),
    cwd: process.cwd(),
    now: () => new Date(),
    stdin: process.stdin,
  };
}

/** A command's entry point: parsed arguments in, exit code out. */
export type CommandRun = (args: ParsedArgs, io: CommandIo) => Promise<number>;

export interface CommandModule {
  readonly def: CommandDef;
  readonly run: CommandRun;
}

/** An error printed as is, without the `error: ` prefix (kubectl's "Error from server ..."). */
export class PrintedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrintedError';
  }
}

/**
 * Run a command module on raw arguments: --help, usage errors (thrown, for the
 * caller to print with a hint), other failures printed here. Returns the exit code.
 */
export async function runCommand(mod: CommandModule, argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const parsed = parseArgs(argv, mod.def);
  if (parsed.values.help === true) {
    io.out.write(helpText(mod.def));
    return 0;
  }
  try {
    return await mod.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof PrintedError) io.err.write(`${err.message}\n`);
    else io.err.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The value of a string flag, or undefined. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The value of a boolean flag, or its default. */
export function bool(args: ParsedArgs, name: string, fallback: boolean): boolean {
  const v = args.values[name];
  return typeof v === 'boolean' ? v : fallback;
}

/** The value of a duration flag in milliseconds, or its default. */
export function duration(args: ParsedArgs, name: string, fallbackMs: number): number {
  const v = str(args, name);
  return v === undefined ? fallbackMs : parseDuration(v)!;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Check a virtual cluster name given on the command line. */
export function checkClusterName(name: string, command: string): string {
  if (!DNS_LABEL.test(name)) {
    throw new UsageError(
      `invalid virtual cluster name "${name}": must be lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters`,
      `kubevisor ${command}`,
    );
  }
  return name;
}

/** Exactly one NAME argument, and nothing else unless allowed. */
export function oneName(args: ParsedArgs, command: string, extra = 0): string {
  const max = 1 + extra;
  if (args.positionals.length === 0) throw new UsageError('a virtual cluster name is required', `kubevisor ${command}`);
  if (args.positionals.length > max) throw new UsageError(`unexpected argument "${args.positionals[max]}"`, `kubevisor ${command}`);
  if (args.rest !== undefined) throw new UsageError(`unexpected arguments after "--"`, `kubevisor ${command}`);
  return checkClusterName(args.positionals[0]!, command);
}
