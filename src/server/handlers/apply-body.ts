// The body of a server-side apply (`application/apply-patch+yaml`): YAML, of
// which JSON is a subset. kubectl and helm send JSON, and a CRD's apply body
// is up to a few megabytes of it: a body that parses as JSON is taken as
// such (the YAML decoder reads it to the same value, several times slower);
// anything else goes through the YAML decoder and its error texts.

import { errors } from '../../api/errors.ts';
import { decodeYaml, YamlError } from '../../api/decode/yaml.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';

/** The value of an apply body. */
export async function decodeApplyBody(raw: Buffer): Promise<unknown> {
  const text = raw.toString('utf8');
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all (YAML flow style, comments ...): the YAML decoder below.
    }
  }
  await loadYaml();
  try {
    return decodeYaml(raw).value;
  } catch (e) {
    if (e instanceof YamlError) throw errors.badRequest(`error decoding YAML: ${e.message}`);
    throw e;
  }
}
