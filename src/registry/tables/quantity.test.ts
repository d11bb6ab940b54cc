import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatQuantity } from './quantity.ts';

test('quantities print in canonical form', () => {
  const cases: Array<[unknown, string]> = [
    [undefined, '0'],
    ['0', '0'],
    ['0Gi', '0'],
    ['0.000', '0'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['2048Ki', '2Mi'],
    ['1000Mi', '1000Mi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['0.5Ki', '512'], // small binary values switch to decimal
    ['1.1Ki', '1126400m'],
    ['500m', '500m'],
    ['1000m', '1'],
    ['1.5', '1500m'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['0.1m', '100u'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['1000000', '1M'],
    ['100', '100'],
    ['1e3', '1e3'],
    ['1000e3', '1e6'],
    ['-1Gi', '-1Gi'],
    ['-1.5', '-1500m'],
    ['12345678901234567890', '12345678901234567890'],
    [5, '5'],
    [0.25, '250m'],
    ['bogus', 'bogus'],
  ];
  for (const [input, want] of cases) assert.equal(formatQuantity(input), want, `formatQuantity(${JSON.stringify(input)})`);
});
