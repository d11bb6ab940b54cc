// cel-go's sets extension: sets.contains, sets.equivalent, sets.intersects,
// with CEL equality (1 == 1.0 == 1u).

import type { Library } from './lib.ts';
import { celEqual } from './values.ts';

const has = (l: readonly unknown[], v: unknown) => l.some((x) => celEqual(x, v));

export function contains(a: readonly unknown[], b: readonly unknown[]): boolean {
  return b.every((v) => has(a, v));
}

export function equivalent(a: readonly unknown[], b: readonly unknown[]): boolean {
  return contains(a, b) && contains(b, a);
}

export function intersects(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.some((v) => has(b, v));
}

export function register(lib: Library): void {
  const ns = lib.namespace('sets');
  lib.fn(`${ns}.contains(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => contains(a, b));
  lib.fn(`${ns}.equivalent(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => equivalent(a, b));
  lib.fn(`${ns}.intersects(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => intersects(a, b));
}
