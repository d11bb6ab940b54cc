// Kubernetes' quantity library: quantity(), isQuantity() and the
// kubernetes.Quantity type (sign, isInteger, asInteger, asApproximateFloat,
// add, sub, compareTo, isGreaterThan, isLessThan; == compares values).

import { cmpQuantity, parseQuantity, quantityString } from '../validation/quantity.ts';
import type { Quantity } from '../validation/quantity.ts';
import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';

export const QUANTITY = 'kubernetes.Quantity';
const MAX_INT = 2n ** 63n - 1n;
const MIN_INT = -(2n ** 63n);

export class CelQuantity {
  readonly q: Quantity;
  constructor(q: Quantity) {
    this.q = q;
  }
  get celType(): string {
    return QUANTITY;
  }
  equals(o: unknown): boolean {
    return o instanceof CelQuantity && cmpQuantity(this.q, o.q) === 0;
  }
  toString(): string {
    return quantityString(this.q);
  }
}

export function quantity(s: string): CelQuantity {
  const q = parseQuantity(s);
  if (typeof q === 'string') throw new LibraryError(q);
  return new CelQuantity(q);
}

export function isQuantity(s: string): boolean {
  return typeof parseQuantity(s) !== 'string';
}

/** The value as an int64, when it is an integer in range. */
function asInt(q: Quantity): bigint | undefined {
  if (q.mantissa === 0n) return 0n;
  let v: bigint;
  if (q.exp >= 0) {
    if (q.exp > 19) return undefined;
    v = q.mantissa * 10n ** BigInt(q.exp);
  } else {
    const d = 10n ** BigInt(-q.exp);
    if (q.mantissa % d !== 0n) return undefined;
    v = q.mantissa / d;
  }
  return v > MAX_INT || v < MIN_INT ? undefined : v;
}

function shift(a: Quantity, b: Quantity, sign: 1n | -1n): CelQuantity {
  const e = Math.min(a.exp, b.exp);
  const m = a.mantissa * 10n ** BigInt(a.exp - e) + sign * b.mantissa * 10n ** BigInt(b.exp - e);
  return new CelQuantity({ mantissa: m, exp: e, format: a.format });
}

const fromInt = (i: bigint): Quantity => ({ mantissa: i, exp: 0, format: 'DecimalExponent' });

export function register(lib: Library): void {
  const Q = QUANTITY;
  lib.type(Q, CelQuantity);
  lib.env.registerOperator(`${Q} == ${Q}`, (a: CelQuantity, b: CelQuantity) => a.equals(b));
  lib.fn(`quantity(string): ${Q}`, quantity);
  lib.fn('isQuantity(string): bool', isQuantity);
  lib.fn(`${Q}.sign(): int`, (a: CelQuantity) => BigInt(a.q.mantissa > 0n ? 1 : a.q.mantissa < 0n ? -1 : 0));
  lib.fn(`${Q}.isInteger(): bool`, (a: CelQuantity) => asInt(a.q) !== undefined);
  lib.fn(`${Q}.asInteger(): int`, (a: CelQuantity) => {
    const v = asInt(a.q);
    if (v === undefined) throw new LibraryError('cannot convert value to integer');
    return v;
  });
  lib.fn(`${Q}.asApproximateFloat(): double`, (a: CelQuantity) => Number.parseFloat(`${a.q.mantissa}e${a.q.exp}`));
  lib.fn(`${Q}.add(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => shift(a.q, b.q, 1n));
  lib.fn(`${Q}.add(int): ${Q}`, (a: CelQuantity, b: bigint) => shift(a.q, fromInt(b), 1n));
  lib.fn(`${Q}.sub(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => shift(a.q, b.q, -1n));
  lib.fn(`${Q}.sub(int): ${Q}`, (a: CelQuantity, b: bigint) => shift(a.q, fromInt(b), -1n));
  lib.fn(`${Q}.compareTo(${Q}): int`, (a: CelQuantity, b: CelQuantity) => BigInt(cmpQuantity(a.q, b.q)));
  lib.fn(`${Q}.isGreaterThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQuantity(a.q, b.q) > 0);
  lib.fn(`${Q}.isLessThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => cmpQuantity(a.q, b.q) < 0);
}
