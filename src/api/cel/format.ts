// Kubernetes' format library: format.<name>() and format.named(name) give a
// kubernetes.NamedFormat whose validate(str) is optional.none() for a valid
// string, else the list of upstream's error texts. Names: dns1123Label,
// dns1123Subdomain, dns1035Label, qualifiedName, dns1123LabelPrefix,
// dns1123SubdomainPrefix, dns1035LabelPrefix, labelValue, uri, uuid, byte,
// date, datetime.

import { isBase64, isDate, isDateTime, isUUID } from '../validation/strfmt.ts';
import { isQualifiedName, isValidLabelValue, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain } from '../validation/names.ts';
import type { Library } from './lib.ts';
import { requestURIError } from './urls.ts';

export const FORMAT_TYPE = 'kubernetes.NamedFormat';

export class NamedFormat {
  readonly name: string;
  readonly check: (s: string) => string[];
  constructor(name: string, check: (s: string) => string[]) {
    this.name = name;
    this.check = check;
  }
  get celType(): string {
    return FORMAT_TYPE;
  }
  equals(o: unknown): boolean {
    return o instanceof NamedFormat && o.name === this.name;
  }
}

const when = (ok: boolean, msg: string) => (ok ? [] : [msg]);

export const formats: ReadonlyMap<string, NamedFormat> = new Map([
  ['dns1123Label', new NamedFormat('DNS1123Label', (s) => nameIsDNSLabel(s, false))],
  ['dns1123Subdomain', new NamedFormat('DNS1123Subdomain', (s) => nameIsDNSSubdomain(s, false))],
  ['dns1035Label', new NamedFormat('DNS1035Label', (s) => nameIsDNS1035Label(s, false))],
  ['qualifiedName', new NamedFormat('QualifiedName', isQualifiedName)],
  ['dns1123LabelPrefix', new NamedFormat('DNS1123LabelPrefix', (s) => nameIsDNSLabel(s, true))],
  ['dns1123SubdomainPrefix', new NamedFormat('DNS1123SubdomainPrefix', (s) => nameIsDNSSubdomain(s, true))],
  ['dns1035LabelPrefix', new NamedFormat('DNS1035LabelPrefix', (s) => nameIsDNS1035Label(s, true))],
  ['labelValue', new NamedFormat('LabelValue', isValidLabelValue)],
  ['uri', new NamedFormat('URI', (s) => { const e = requestURIError(s); return e === undefined ? [] : [e]; })],
  ['uuid', new NamedFormat('uuid', (s) => when(isUUID(s), 'does not match the UUID format'))],
  ['byte', new NamedFormat('byte', (s) => when(isBase64(s), 'invalid base64'))],
  ['date', new NamedFormat('date', (s) => when(isDate(s), 'invalid date'))],
  ['datetime', new NamedFormat('datetime', (s) => when(isDateTime(s), 'invalid datetime'))],
]);

export function register(lib: Library): void {
  const T = FORMAT_TYPE;
  const { Optional } = lib.mod;
  lib.type(T, NamedFormat);
  lib.env.registerOperator(`${T} == ${T}`, (a: NamedFormat, b: NamedFormat) => a.equals(b));
  const ns = lib.namespace('format');
  for (const [name, f] of formats) lib.fn(`${ns}.${name}(): ${T}`, () => f);
  lib.fn(`${ns}.named(string): optional<${T}>`, (_: unknown, name: string) => {
    const f = formats.get(name);
    return f ? Optional.of(f) : Optional.none();
  });
  lib.fn(`${T}.validate(string): optional<list<string>>`, (f: NamedFormat, s: string) => {
    const errs = f.check(s);
    return errs.length === 0 ? Optional.none() : Optional.of(errs);
  });
}
