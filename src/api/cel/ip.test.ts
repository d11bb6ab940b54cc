import { test } from 'node:test';
import { expectErrors, expectValues } from './testing.ts';

test('ip, isIP and ip.isCanonical', () => {
  expectValues([
    ["isIP('127.0.0.1')", true], ["isIP('::1')", true], ["isIP('127.0.0.256')", false], ["isIP(':::1')", false],
    ["isIP('127.0.0.01')", false], ["isIP('::ffff:1.2.3.4')", false], ["isIP('fe80::1%eth0')", false], ["isIP('1.2.3')", false],
    ["ip.isCanonical('127.0.0.1')", true], ["ip.isCanonical('2001:db8::abcd')", true],
    ["ip.isCanonical('2001:DB8::ABCD')", false], ["ip.isCanonical('2001:db8::0:0:0:abcd')", false],
    ["string(ip('2001:db8:0:0:0::abcd'))", '2001:db8::abcd'], ["ip('10.0.0.1') == ip('10.0.0.1')", true],
  ]);
  expectErrors([
    ["ip('127.0.0.256')", 'IP Address "127.0.0.256" parse error during conversion from string: ParseAddr("127.0.0.256"): IPv4 field has value >255'],
    ["ip('127.0.0.01')", 'IP Address "127.0.0.01" parse error during conversion from string: ParseAddr("127.0.0.01"): IPv4 field has octet with leading zero'],
    ["ip('::ffff:1.2.3.4')", 'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed'],
    ["ip('fe80::1%eth0')", 'IP address "fe80::1%eth0" with zone value is not allowed'],
    ["ip('foo')", 'IP Address "foo" parse error during conversion from string: ParseAddr("foo"): unable to parse IP'],
  ]);
});

test('IP properties', () => {
  expectValues([
    ["ip('127.0.0.1').family()", 4n], ["ip('::1').family()", 6n], ["ip('127.0.0.1').family() == 4", true],
    ["ip('0.0.0.0').isUnspecified()", true], ["ip('127.0.0.1').isUnspecified()", false], ["ip('::').isUnspecified()", true], ["ip('::1').isUnspecified()", false],
    ["ip('127.0.0.1').isLoopback()", true], ["ip('192.168.0.1').isLoopback()", false], ["ip('::1').isLoopback()", true], ["ip('2001:db8::abcd').isLoopback()", false],
    ["ip('224.0.0.1').isLinkLocalMulticast()", true], ["ip('224.0.1.1').isLinkLocalMulticast()", false],
    ["ip('ff02::1').isLinkLocalMulticast()", true], ["ip('fd00::1').isLinkLocalMulticast()", false],
    ["ip('169.254.169.254').isLinkLocalUnicast()", true], ["ip('192.168.0.1').isLinkLocalUnicast()", false],
    ["ip('fe80::1').isLinkLocalUnicast()", true], ["ip('fd80::1').isLinkLocalUnicast()", false],
    ["ip('192.168.0.1').isGlobalUnicast()", true], ["ip('255.255.255.255').isGlobalUnicast()", false],
    ["ip('2001:db8::abcd').isGlobalUnicast()", true], ["ip('ff00::1').isGlobalUnicast()", false],
  ]);
});

test('cidr', () => {
  expectValues([
    ["isCIDR('192.168.0.0/16')", true], ["isCIDR('::1/128')", true], ["isCIDR('192.168.0.0/33')", false], ["isCIDR('::1/129')", false],
    ["isCIDR('192.168.0.0')", false], ["isCIDR('::ffff:1.2.3.4/120')", false],
    ["cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", true], ["cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", false],
    ["cidr('192.168.0.0/24').containsIP('192.168.0.1')", true], ["cidr('192.168.0.0/24').containsIP('192.168.1.1')", false],
    ["cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", true], ["cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))", false],
    ["cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", true], ["cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')", false],
    ["cidr('192.168.10.0/24').containsCIDR('192.168.0.0/16')", false], ["cidr('::/0').containsIP('10.0.0.1')", false],
    ["cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", true], ["cidr('192.168.0.1/24').ip().family()", 4n],
    ["cidr('::1/128').ip() == ip('::1')", true], ["cidr('::1/128').ip().family()", 6n],
    ["cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')", true], ["cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", true],
    ["cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()", false],
    ["cidr('192.168.0.0/16').prefixLength()", 16n], ["cidr('::1/128').prefixLength()", 128n],
    ["string(cidr('2001:DB8::/32'))", '2001:db8::/32'],
  ]);
  expectErrors([
    ["cidr('192.168.0.0/33')", 'network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("192.168.0.0/33"): prefix length out of range'],
    ["cidr('10.0.0.0')", `network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0"): no '/'`],
    ["cidr('10.0.0.0/08')", 'network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"'],
    ["cidr('::ffff:1.2.3.4/120')", 'network address parse error during conversion from string: IPv4-mapped IPv6 address "::ffff:1.2.3.4/120" is not allowed'],
    ["cidr('10.0.0.0/8').containsIP('x')", 'IP Address "x" parse error during conversion from string: ParseAddr("x"): unable to parse IP'],
  ]);
});
