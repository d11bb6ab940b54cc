import { test } from 'node:test';
import { Optional } from '@marcbachmann/cel-js';
import { expectValues } from './testing.ts';

const none = Optional.none();

test('named formats validate', () => {
  expectValues([
    ["format.dns1123Label().validate('my-label-name')", none],
    ["format.dns1123Subdomain().validate('apiextensions.k8s.io')", none],
    ["format.dns1035Label().validate('my-label-name')", none],
    ["format.qualifiedName().validate('apiextensions.k8s.io/v1beta1')", none],
    ["format.dns1123LabelPrefix().validate('my-label-prefix-')", none],
    ["format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-')", none],
    ["format.dns1035LabelPrefix().validate('my-label-prefix-')", none],
    ["format.labelValue().validate('my_value')", none],
    ["format.uri().validate('http://example.com')", none],
    ["format.uuid().validate('123e4567-e89b-12d3-a456-426614174000')", none],
    ["format.byte().validate('aGVsbG8=')", none],
    ["format.date().validate('2021-01-01')", none],
    ["format.datetime().validate('2021-01-01T00:00:00Z')", none],
    ["format.dns1123Label().validate('Not_Valid').hasValue()", true],
    ["format.dns1123Label().validate('a'.replace('a', 'x' + 'y'.replace('y', 'Z'))).value().size()", 1n],
    ["format.dns1035Label().validate('1abc').value()[0].startsWith('a DNS-1035 label must consist of')", true],
    ["format.uri().validate('../x')", Optional.of(['parse "../x": invalid URI for request'])],
    ["format.uuid().validate('nope')", Optional.of(['does not match the UUID format'])],
    ["format.byte().validate('!!')", Optional.of(['invalid base64'])],
    ["format.date().validate('2021-02-30')", Optional.of(['invalid date'])],
    ["format.datetime().validate('2021-01-01')", Optional.of(['invalid datetime'])],
    ["format.named('dns1123Label').hasValue()", true], ["format.named('nope').hasValue()", false],
    ["format.named('uuid').value().validate('x').hasValue()", true],
    ["format.dns1123Label() == format.named('dns1123Label').value()", true],
  ]);
});
