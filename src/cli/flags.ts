// Command-line flags on top of node:util parseArgs, with kubectl-style messages
// for what the user got wrong.
import { parseArgs } from 'node:util';

/** A mistake in how the command was invoked: printed with a hint, exit code 1. */
export class UsageError extends Error {
  /** The command whose help to point at, e.g. `kubevisor up`. */
  readonly command: string;
  constructor(message: string, command: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedFlags {
  /** Strings for string flags given, true for boolean flags given; absent flags are missing. */
  readonly values: Readonly<Record<string, string | true>>;
  readonly positionals: readonly string[];
}

/** Parse `args` against `specs`; the last occurrence of a repeated flag wins. */
export function parseFlags(args: readonly string[], specs: FlagSpecs, command: string): ParsedFlags {
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) {
      const message = token.rawName.startsWith('--')
        ? `unknown flag: ${token.rawName}`
        : `unknown shorthand flag: '${token.rawName.slice(1)}' in ${args[token.index]}`;
      throw new UsageError(message, command);
    }
    if (spec.type === 'string') {
      if (token.value === undefined) throw new UsageError(`flag needs an argument: --${token.name}`, command);
      values[token.name] = token.value;
    } else {
      if (token.value !== undefined && token.value !== 'true') {
        throw new UsageError(`invalid argument "${token.value}" for "--${token.name}" flag: it takes no value`, command);
      }
      values[token.name] = true;
    }
  }
  return { values, positionals };
}

/** The error for a flag whose value is not acceptable. */
export function invalidFlag(flag: string, value: string, why: string, command: string): UsageError {
  return new UsageError(`invalid argument "${value}" for "--${flag}" flag: ${why}`, command);
}
