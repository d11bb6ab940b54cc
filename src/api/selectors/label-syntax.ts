// Syntax rules for label keys and label values, with the problem texts
// Kubernetes prints for each (an empty list means valid).

const dnsLabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsSubdomainFmt = `${dnsLabelFmt}(\\.${dnsLabelFmt})*`;
const dnsSubdomainRe = new RegExp(`^${dnsSubdomainFmt}$`);
const dnsSubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dnsSubdomainMax = 253;

const nameCharFmt = '[A-Za-z0-9]';
const nameExtCharFmt = '[-A-Za-z0-9_.]';
const labelKeyNameFmt = `(${nameCharFmt}${nameExtCharFmt}*)?${nameCharFmt}`;
const labelKeyNameRe = new RegExp(`^${labelKeyNameFmt}$`);
const labelKeyNameMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelKeyNameMax = 63;

const labelValueFmt = `(${labelKeyNameFmt})?`;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const labelValueMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMax = 63;

/** "must be no more than N bytes" */
export function maxLenMessage(n: number): string {
  return `must be no more than ${n} bytes`;
}

/** A regex failure explained with examples, worded as upstream. */
export function regexMessage(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// Regexes here only accept ASCII, so a UTF-16 test is equivalent to a byte test.

/** Problems with a lowercase RFC 1123 subdomain (e.g. a label key prefix). */
export function dnsSubdomainProblems(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dnsSubdomainMax) errs.push(maxLenMessage(dnsSubdomainMax));
  if (!dnsSubdomainRe.test(value)) errs.push(regexMessage(dnsSubdomainMsg, dnsSubdomainFmt, 'example.com'));
  return errs;
}

/** Problems with a label key (`[prefix/]name`), as upstream's IsLabelKey lists them. */
export function labelKeyProblems(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of dnsSubdomainProblems(prefix)) errs.push(`prefix part ${m}`);
  } else {
    errs.push(`a valid label key ${regexMessage(labelKeyNameMsg, labelKeyNameFmt, 'MyName', 'my.name', '123-abc')}` +
      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > labelKeyNameMax) errs.push(`name part ${maxLenMessage(labelKeyNameMax)}`);
  if (!labelKeyNameRe.test(name)) errs.push(`name part ${regexMessage(labelKeyNameMsg, labelKeyNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** Problems with a label value (empty is valid). */
export function labelValueProblems(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > labelValueMax) errs.push(maxLenMessage(labelValueMax));
  if (!labelValueRe.test(value)) errs.push(regexMessage(labelValueMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}
