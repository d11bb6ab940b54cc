// The string formats a CRD schema's `format` is checked against (kube-openapi's
// strfmt registry as Kubernetes 1.36 enables it for custom resources), and
// which formats count as recognized at all: others are ignored, as upstream
// strips them before validating.

import { parseIPSloppy } from '../../api/validation/ip.ts';
import { isBase64, isDate, isDateTime, isUUID } from '../../api/validation/strfmt.ts';

/** Names are matched with dashes removed, as go-openapi normalizes them. */
export function normalizeFormat(name: string): string {
  return name.replaceAll('-', '');
}

const hostnameRe = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const uuid3Re = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const uuid4Re = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const uuid5Re = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const hexColorRe = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const rgbColorRe = /^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$/;
const ssnRe = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const creditCardRe = /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$/;
const shortNameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const longNameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isHostname(s: string): boolean {
  if (!hostnameRe.test(s)) return false;
  if (Buffer.byteLength(s) > 255) return false;
  return s.split('.').every((p) => Buffer.byteLength(p) <= 63);
}

const goDurationUnits: Record<string, number> = { ns: 1, us: 1, 'µs': 1, 'μs': 1, ms: 1, s: 1, m: 1, h: 1 };

/** time.ParseDuration's syntax: [-+]? then one or more number+unit, or "0". */
function isGoDuration(s: string): boolean {
  let rest = s.replace(/^[-+]/, '');
  if (rest === '0') return true;
  if (rest === '') return false;
  while (rest !== '') {
    const m = /^(\d*\.?\d*)([a-zµμ]*)/.exec(rest);
    if (!m || m[1] === '' || m[1] === '.' || !(m[2]! in goDurationUnits)) return false;
    rest = rest.slice(m[0].length);
  }
  return true;
}

const durationUnits = [['ns', 'nano'], ['us', 'µs', 'micro'], ['ms', 'milli'], ['s', 'sec'], ['m', 'min'], ['h', 'hr', 'hour'], ['d', 'day'], ['w', 'wk', 'week']];

function isDuration(s: string): boolean {
  if (isGoDuration(s)) return true;
  let ok = false;
  for (const m of s.matchAll(/((\d+)\s*([A-Za-zµ]+))/g)) {
    const unit = m[3]!.trim().toLowerCase();
    for (const variants of durationUnits) {
      const last = variants.length - 1;
      variants.forEach((v, i) => {
        if ((i === last && unit.startsWith(v)) || v.toLowerCase() === unit) ok = true;
      });
    }
  }
  return ok;
}

function luhn(digits: string): boolean {
  let sum = 0, double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = Number(digits[i]);
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isCreditCard(s: string): boolean {
  const digits = s.replace(/[^0-9]/g, '');
  return creditCardRe.test(digits) && luhn(digits);
}

function isISBN10(s: string): boolean {
  const v = s.replace(/[\s-]/g, '');
  if (!/^(?:[0-9]{9}X|[0-9]{10})$/.test(v)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (i + 1) * Number(v[i]);
  sum += v[9] === 'X' ? 100 : 10 * Number(v[9]);
  return sum % 11 === 0;
}

function isISBN13(s: string): boolean {
  const v = s.replace(/[\s-]/g, '');
  if (!/^[0-9]{13}$/.test(v)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(v[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(v[12]);
}

function isMAC(s: string): boolean {
  // net.ParseMAC: 6, 8 or 20 bytes, as xx:xx.., xx-xx.. or xxxx.xxxx..
  const colon = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2})*$/;
  if (colon.test(s)) {
    const n = s.split(/[:-]/).length;
    return n === 6 || n === 8 || n === 20;
  }
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})+$/.test(s)) {
    const n = s.split('.').length * 2;
    return n === 6 || n === 8 || n === 20;
  }
  return false;
}

function isIPv4(s: string): boolean {
  return parseIPSloppy(s) !== undefined && s.includes('.');
}

function isIPv6(s: string): boolean {
  const ip = parseIPSloppy(s);
  return ip !== undefined && !ip.leadingZero && s.includes(':');
}

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = parseIPSloppy(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (ip.family === 4 ? 32 : 128);
}

/** net/url.ParseRequestURI: an absolute URI or an absolute path. */
function isRequestURI(s: string): boolean {
  if (s === '' || /[\x00-\x1f\x7f]/.test(s)) return false;
  if (s === '*' || s.startsWith('/')) return !s.startsWith('//') || validAuthority(s.slice(2));
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
  if (!m) return false;
  const rest = m[2]!;
  if (rest.startsWith('//')) return validAuthority(rest.slice(2));
  return true;
}

function validAuthority(s: string): boolean {
  const end = s.search(/[/?]/);
  let auth = end < 0 ? s : s.slice(0, end);
  const at = auth.lastIndexOf('@');
  if (at >= 0) auth = auth.slice(at + 1);
  let host = auth, port = '';
  if (auth.startsWith('[')) {
    const close = auth.indexOf(']');
    if (close < 0) return false;
    host = auth.slice(1, close);
    port = auth.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) return false;
    return parseIPSloppy(host.replace(/%.*$/, '')) !== undefined;
  }
  const colon = auth.lastIndexOf(':');
  if (colon >= 0) {
    host = auth.slice(0, colon);
    port = auth.slice(colon + 1);
    if (!/^\d*$/.test(port)) return false;
  }
  return /^[A-Za-z0-9\-._~!$&'()*+,;=%\u0080-\uffff]*$/.test(host);
}

/** net/mail.ParseAddress, for the common forms: `a@b.c` and `Name <a@b.c>`. */
function isEmail(s: string): boolean {
  const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uffff]+";
  const dotAtom = `${atom}(?:\\.${atom})*`;
  const quoted = '"(?:[^"\\\\\\r\\n]|\\\\.)*"';
  const local = `(?:${dotAtom}|${quoted})`;
  const domain = `(?:${dotAtom}|\\[[^\\[\\]\\\\]*\\])`;
  const addr = `${local}@${domain}`;
  const bare = new RegExp(`^\\s*${addr}\\s*$`, 'u');
  const named = new RegExp(`^\\s*(?:${quoted}|[^<>"@]*)?\\s*<${addr}>\\s*$`, 'u');
  return bare.test(s) || named.test(s);
}

function isBSONObjectID(s: string): boolean {
  return /^[0-9a-fA-F]{24}$/.test(s);
}

const validators: Record<string, (s: string) => boolean> = {
  bsonobjectid: isBSONObjectID,
  uri: isRequestURI,
  email: isEmail,
  hostname: isHostname,
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCIDR,
  mac: isMAC,
  uuid: isUUID,
  uuid3: (s) => uuid3Re.test(s),
  uuid4: (s) => uuid4Re.test(s),
  uuid5: (s) => uuid5Re.test(s),
  isbn: (s) => isISBN10(s) || isISBN13(s),
  isbn10: isISBN10,
  isbn13: isISBN13,
  creditcard: isCreditCard,
  ssn: (s) => s.length === 11 && ssnRe.test(s),
  hexcolor: (s) => hexColorRe.test(s),
  rgbcolor: (s) => rgbColorRe.test(s),
  byte: isBase64,
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
  k8sshortname: (s) => s.length <= 63 && shortNameRe.test(s),
  k8slongname: (s) => s.length <= 253 && longNameRe.test(s),
};

/** Whether a (normalized or not) format name is one the server checks strings against. */
export function isKnownStringFormat(format: string): boolean {
  return Object.prototype.hasOwnProperty.call(validators, normalizeFormat(format));
}

/** Whether the string satisfies the format (unknown formats accept everything). */
export function checkStringFormat(format: string, value: string): boolean {
  const v = validators[normalizeFormat(format)];
  return v ? v(value) : true;
}

/**
 * The format a schema node keeps for validation (upstream strips the rest):
 * recognized string formats on strings (or untyped nodes), int32/int64 on
 * integers, float/double on numbers; '' otherwise.
 */
export function effectiveFormat(type: string | undefined, format: string | undefined): string {
  if (!format) return '';
  switch (type ?? '') {
    case '':
    case 'string':
      return isKnownStringFormat(format) ? format : '';
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : '';
    case 'number':
      return format === 'float' || format === 'double' ? format : '';
    default:
      return '';
  }
}

/** Formats a CRD author wrote that the server does not recognize (for warnings). */
export function isUnrecognizedFormat(type: string | undefined, format: string | undefined): boolean {
  return !!format && effectiveFormat(type, format) === '';
}
