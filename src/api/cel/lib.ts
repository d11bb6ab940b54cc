// What each library file registers through: new functions, operators, types
// and namespace constants on the shared Environment, and replacements of the
// handlers of functions the CEL library already has where its behaviour is not
// cel-go's (applied once everything is declared: see index.ts).

import type { Environment } from '@marcbachmann/cel-js';

export type CelModule = typeof import('@marcbachmann/cel-js');

// Handlers take the library's runtime values; each file types its own arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => unknown;

export interface Library {
  readonly env: Environment;
  readonly mod: CelModule;
  /** Declares a function overload (`name(T...): R` or `Recv.name(T...): R`). */
  fn(signature: string, handler: Handler): void;
  /** Replaces the handler of a function overload the CEL library has built in. */
  replace(signature: string, handler: Handler): void;
  /** Declares a namespace (`sets.contains(...)`): a constant of its own type with receiver functions. */
  namespace(name: string): string;
  /** Declares an opaque type whose values are instances of `ctor`. */
  type(name: string, ctor: abstract new (...args: never[]) => unknown): void;
}

export interface Replacement {
  receiver: string | null;
  name: string;
  argTypes: string[];
  handler: Handler;
}

/** `Recv.name(A, B): R` split into its parts (types as written). */
export function parseSignature(signature: string): Replacement & { returnType: string } {
  const m = /^(?:([\w.<>]+)\.)?(\w+)\(([^)]*)\):\s*(.+)$/.exec(signature);
  if (!m) throw new Error(`invalid signature ${signature}`);
  const args = m[3]!.trim() === '' ? [] : m[3]!.split(',').map((s) => s.trim());
  return { receiver: m[1] ?? null, name: m[2]!, argTypes: args, returnType: m[4]!.trim(), handler: () => undefined };
}
