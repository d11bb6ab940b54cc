// Usage quantities as the Metrics API writes them: CPU in nanocores
// (DecimalSI, "2178229n", canonical: "5m" for 5000000n), memory in bytes
// (BinarySI, "17556Ki").

import { parseQuantity, quantityString, type Quantity } from '../../api/validation/quantity.ts';

/** CPU usage of `nanocores` (rounded to a whole nanocore). */
export function cpuQuantity(nanocores: number): string {
  return quantityString({ mantissa: BigInt(Math.max(0, Math.round(nanocores))), exp: -9, format: 'DecimalSI' });
}

/** Memory usage of `bytes` (rounded to a whole byte). */
export function memoryQuantity(bytes: number): string {
  return quantityString({ mantissa: BigInt(Math.max(0, Math.round(bytes))), exp: 0, format: 'BinarySI' });
}

/** A quantity's value in nano units (parseQuantity keeps nothing finer); undefined when it does not parse. */
function nanoValue(q: Quantity): bigint {
  return q.mantissa * 10n ** BigInt(q.exp + 9);
}

/** The value of a quantity text in units (cores, bytes), as a float; undefined when it does not parse. */
export function quantityValue(text: string): number | undefined {
  const q = parseQuantity(text);
  if (typeof q === 'string') return undefined;
  return Number(nanoValue(q)) / 1e9;
}

/** The sum of quantity texts, canonical, in the format of the first (as resource.Quantity.Add into a zero quantity). */
export function sumQuantities(texts: readonly string[]): string {
  let total = 0n;
  let format: Quantity['format'] | undefined;
  for (const t of texts) {
    const q = parseQuantity(t);
    if (typeof q === 'string') continue;
    format ??= q.format;
    total += nanoValue(q);
  }
  return quantityString({ mantissa: total, exp: -9, format: format ?? 'DecimalSI' });
}
