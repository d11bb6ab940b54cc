// List functions: Kubernetes' lists library (isSorted, sum, min, max, indexOf,
// lastIndexOf) and cel-go's lists extension as Kubernetes 1.36 enables it
// (version 3: slice, flatten, distinct, reverse, sort, sortBy, lists.range).

import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { celCompare, celEqual, celTypeName, isOrderable } from './values.ts';

const MAX_INT = 2n ** 63n - 1n;
const MIN_INT = -(2n ** 63n);

function comparable(l: readonly unknown[]): void {
  for (const v of l) if (!isOrderable(v)) throw new LibraryError('no such overload');
}

export function isSorted(l: readonly unknown[]): boolean {
  comparable(l);
  for (let i = 1; i < l.length; i++) if (celCompare(l[i - 1], l[i]) > 0) return false;
  return true;
}

function pick(l: readonly unknown[], name: string, prefer: number): unknown {
  comparable(l);
  if (l.length === 0) throw new LibraryError(`${name} called on empty list`);
  let best = l[0];
  for (let i = 1; i < l.length; i++) if (celCompare(best, l[i]) === prefer) best = l[i];
  return best;
}

export const min = (l: readonly unknown[]): unknown => pick(l, 'min', 1);
export const max = (l: readonly unknown[]): unknown => pick(l, 'max', -1);

export function sum(l: readonly unknown[]): unknown {
  if (l.length === 0) return 0n;
  const first = l[0];
  const t = celTypeName(first);
  for (const v of l) if (celTypeName(v) !== t) throw new LibraryError('no such overload');
  switch (t) {
    case 'int': {
      let acc = 0n;
      for (const v of l) {
        acc += v as bigint;
        if (acc > MAX_INT || acc < MIN_INT) throw new LibraryError('integer overflow');
      }
      return acc;
    }
    case 'double': return (l as number[]).reduce((a, b) => a + b, 0);
    case 'uint': {
      let acc = 0n;
      for (const v of l) {
        acc += (v as { value: bigint }).value;
        if (acc > 2n ** 64n - 1n) throw new LibraryError('unsigned integer overflow');
      }
      const Ctor = (first as object).constructor as new (v: bigint) => unknown;
      return new Ctor(acc);
    }
    case 'google.protobuf.Duration': {
      let acc = first as { addDuration(o: unknown): unknown };
      for (let i = 1; i < l.length; i++) acc = acc.addDuration(l[i]) as typeof acc;
      return acc;
    }
    default: throw new LibraryError('no such overload');
  }
}

export function indexOf(l: readonly unknown[], v: unknown): bigint {
  for (let i = 0; i < l.length; i++) if (celEqual(l[i], v)) return BigInt(i);
  return -1n;
}

export function lastIndexOf(l: readonly unknown[], v: unknown): bigint {
  for (let i = l.length - 1; i >= 0; i--) if (celEqual(l[i], v)) return BigInt(i);
  return -1n;
}

export function slice(l: readonly unknown[], start: bigint, end: bigint): unknown[] {
  if (start < 0n || end < 0n) throw new LibraryError(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end) throw new LibraryError(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (BigInt(l.length) < end) throw new LibraryError(`cannot slice(${start}, ${end}), list is length ${l.length}`);
  return l.slice(Number(start), Number(end));
}

export function flatten(l: readonly unknown[], depth = 1n): unknown[] {
  if (depth < 0n) throw new LibraryError('level must be non-negative');
  const out: unknown[] = [];
  for (const v of l) {
    if (Array.isArray(v) && depth > 0n) out.push(...flatten(v, depth - 1n));
    else out.push(v);
  }
  return out;
}

export function distinct(l: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of l) if (!out.some((x) => celEqual(x, v))) out.push(v);
  return out;
}

/** Sorts `l` by `keys` (the same length): keys must be orderable and of one type. */
export function sortByKeys(l: readonly unknown[], keys: readonly unknown[]): unknown[] {
  if (l.length === 0) return [];
  if (!isOrderable(keys[0])) throw new LibraryError('list elements must be comparable');
  const t = celTypeName(keys[0]);
  for (const k of keys) if (celTypeName(k) !== t) throw new LibraryError('list elements must have the same type');
  const idx = l.map((_, i) => i);
  idx.sort((a, b) => celCompare(keys[a], keys[b]) || a - b);
  return idx.map((i) => l[i]);
}

export function range(n: bigint): bigint[] {
  const out: bigint[] = [];
  for (let i = 0n; i < n; i++) out.push(i);
  return out;
}

interface MacroNode { op: string; args: unknown }
interface Checker { check(node: unknown, ctx: unknown): { valueType?: unknown }; getType(name: string): unknown; createError(code: string, msg: string, node: unknown): Error }
interface Ctx { forkWithVariable(name: string, type: unknown): Ctx; reuse(ctx: unknown): Ctx; setIterValue(v: unknown, ev: unknown): Ctx }
interface Evaluator { run(node: unknown, ctx: unknown): unknown }
interface SortByMacro { receiver: MacroNode; variable: string; key: MacroNode; keyCtx?: Ctx }

/** `list.sortBy(e, keyExpr)`: a macro binding `e` to each element while its key is computed. */
function sortByMacro({ args, receiver }: { args: MacroNode[]; receiver: MacroNode }): unknown {
  const [v, key] = args;
  if (v?.op !== 'id' || typeof v.args !== 'string') throw new LibraryError('sortBy(var, keyExpr) invalid iteration variable');
  return {
    receiver, variable: v.args, key,
    typeCheck(checker: Checker, m: SortByMacro, ctx: Ctx) {
      const listType = checker.check(m.receiver, ctx);
      m.keyCtx = ctx.forkWithVariable(m.variable, listType.valueType ?? checker.getType('dyn'));
      checker.check(m.key, m.keyCtx);
      return listType;
    },
    evaluate(ev: Evaluator, m: SortByMacro, ctx: unknown) {
      const list = ev.run(m.receiver, ctx);
      if (!Array.isArray(list)) throw new LibraryError('sortBy can only be applied to a list');
      const keys = list.map((x) => ev.run(m.key, m.keyCtx!.reuse(ctx).setIterValue(x, ev)));
      return sortByKeys(list, keys);
    },
  };
}

export function register(lib: Library): void {
  lib.fn('list<A>.isSorted(): bool', isSorted);
  lib.fn('list<A>.sum(): A', sum);
  lib.fn('list<A>.min(): A', min);
  lib.fn('list<A>.max(): A', max);
  lib.fn('list<A>.indexOf(A): int', indexOf);
  lib.fn('list<A>.lastIndexOf(A): int', lastIndexOf);
  lib.fn('list<A>.slice(int, int): list<A>', slice);
  lib.fn('list.flatten(): list', (l: unknown[]) => flatten(l));
  lib.fn('list.flatten(int): list', flatten);
  lib.fn('list<A>.distinct(): list<A>', distinct);
  lib.fn('list<A>.reverse(): list<A>', (l: unknown[]) => [...l].reverse());
  lib.fn('list<A>.sort(): list<A>', (l: unknown[]) => sortByKeys(l, l));
  lib.fn('list.sortBy(ast, ast): list', sortByMacro);
  const ns = lib.namespace('lists');
  lib.fn(`${ns}.range(int): list<int>`, (_: unknown, n: bigint) => range(n));
}
