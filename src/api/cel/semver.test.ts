import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('semver and isSemver', () => {
  expectValues([
    ["isSemver('1.0.0')", true], ["isSemver('0.1.0-alpha.1')", true], ["isSemver('hello')", false], ["isSemver('v1.0')", false],
    ["isSemver('v1.0', true)", true], ["isSemver('1.0', true)", true], ["isSemver('01.01.01', true)", true], ["isSemver('01.01.01')", false],
    ["isSemver('1.0.0+build.1')", true], ["isSemver('1.0-rc', true)", false],
    ["semver('v1.0.0', true) == semver('1.0.0')", true], ["semver('1.0', true) == semver('1.0.0')", true],
    ["semver('01.01.01', true) == semver('1.1.1')", true],
  ]);
  expectErrors([
    ["semver('200K')", 'No Major.Minor.Patch elements found'], ["semver('')", 'Version string empty'],
    ["semver('1.a.0')", 'Invalid character(s) found in minor number "a"'], ["semver('01.0.0')", 'Major number must not contain leading zeroes "01"'],
    ["semver('1.0.0-01')", 'Numeric PreRelease version must not contain leading zeroes "01"'],
    ["semver('1.0-rc', true)", 'short version cannot contain PreRelease/Build meta data'],
  ]);
});

test('semver parts and ordering', () => {
  expectValues([
    ["semver('1.2.3').major()", 1n], ["semver('1.2.3').minor()", 2n], ["semver('1.2.3').patch()", 3n],
    ["semver('1.2.3').compareTo(semver('1.2.3'))", 0n], ["semver('1.2.3').compareTo(semver('2.0.0'))", -1n],
    ["semver('1.2.3').compareTo(semver('0.1.2'))", 1n], ["semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", true],
    ["semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))", true], ["semver('1.0.0-rc.1').isGreaterThan(semver('1.0.0-beta.11'))", true],
    ["semver('1.0.0+a') == semver('1.0.0+b')", true],
  ]);
});
