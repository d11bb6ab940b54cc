import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('quantity and isQuantity', () => {
  expectValues([
    ["isQuantity('1.3G')", true], ["isQuantity('1.3Gi')", true], ["isQuantity('1,3G')", false], ["isQuantity('10000k')", true],
    ["isQuantity('200K')", false], ["isQuantity('Three')", false],
    // Upstream's docs call 'Mi' an error, but resource.ParseQuantity reads it as 0 (no digits: a zero numerator).
    ["isQuantity('Mi')", true],
    ["type(quantity('1.5G')) == kubernetes.Quantity".replace(' == kubernetes.Quantity', '') + " != type(1)", true],
  ]);
  expectErrors([
    ["quantity('200K')", "unable to parse quantity's suffix"],
    ["quantity('Three')", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ["quantity('1.5x')", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  ]);
});

test('quantity conversions, arithmetic and comparisons', () => {
  expectValues([
    ["quantity('50000000G').isInteger()", true], ["quantity('50k').isInteger()", true], ["quantity('500m').isInteger()", false],
    ["quantity('9999999999999999999999999999999999999G').isInteger()", false],
    ["quantity('50k').asInteger() == 50000", true], ["quantity('50k').sub(20000).asApproximateFloat() == 30000.0", true],
    ["quantity('1.5').asApproximateFloat()", 1.5],
    ["quantity('50k').sign()", 1n], ["quantity('-1m').sign()", -1n], ["quantity('0').sign()", 0n],
    ["quantity('50k').add(quantity('20k')) == quantity('70k')", true], ["quantity('50k').add(20) == quantity('50020')", true],
    ["quantity('50k').sub(quantity('20k')) == quantity('30k')", true], ["quantity('50k').sub(20000) == quantity('30k')", true],
    ["quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')", true],
    ["quantity('200M').compareTo(quantity('0.2G'))", 0n], ["quantity('50M').compareTo(quantity('50Mi'))", -1n],
    ["quantity('50Mi').compareTo(quantity('50M'))", 1n], ["quantity('150Mi').isGreaterThan(quantity('100Mi'))", true],
    ["quantity('50Mi').isGreaterThan(quantity('100Mi'))", false], ["quantity('50M').isLessThan(quantity('100M'))", true],
    ["quantity('100M').isLessThan(quantity('50M'))", false], ["quantity('1k') == quantity('1000')", true],
    ['quantity(self.cpu).isLessThan(quantity("2"))', true],
  ], { self: { cpu: '500m' } });
  expectErrors([["quantity('9999999999999999999999999999999999999G').asInteger()", 'cannot convert value to integer']]);
});
