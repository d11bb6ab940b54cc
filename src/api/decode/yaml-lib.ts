// The `yaml` library, loaded on first use: it costs over 10 MB of memory, and
// most servers never see a YAML body. Callers `await loadYaml()` before using
// the synchronous decoders that need it.

type YamlModule = typeof import('yaml');

let mod: YamlModule | undefined;
let loading: Promise<YamlModule> | undefined;

export function loadYaml(): Promise<YamlModule> {
  if (mod) return Promise.resolve(mod);
  loading ??= import('yaml').then((m) => (mod = m));
  return loading;
}

/** The loaded library; throws if loadYaml() has not completed. */
export function yamlLib(): YamlModule {
  if (!mod) throw new Error('the yaml library is not loaded yet (await loadYaml() first)');
  return mod;
}
