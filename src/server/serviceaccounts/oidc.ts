// Service account issuer discovery: the OpenID provider configuration at
// /.well-known/openid-configuration and the key set at /openid/v1/jwks, so
// that relying parties outside the cluster can verify service account tokens.
import type { VerificationKey } from './keys.ts';

export const OPENID_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';
/** Both documents may be cached for an hour, publicly (overrides the API's no-cache). */
export const OIDC_CACHE_CONTROL = 'public, max-age=3600';
export const OPENID_CONFIG_CONTENT_TYPE = 'application/json';
/** RFC 7517 §8.5.1 */
export const JWKS_CONTENT_TYPE = 'application/jwk-set+json';

export interface OpenIDConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

/** A public JWK, members in the order kube-apiserver writes them. */
export interface PublicJwk {
  use: 'sig';
  kty: 'RSA' | 'EC';
  kid: string;
  crv?: string;
  alg: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface JsonWebKeySet {
  keys: PublicJwk[];
}

export interface OidcOptions {
  /** The service account issuer; must be an https URL without query or fragment. */
  issuer: string;
  /** Where the key set is published (https). Absent: https://<externalAddress>/openid/v1/jwks. */
  jwksUri?: string;
  /** host[:port] the API server is reached at, used when jwksUri is absent. */
  externalAddress?: string;
  /** Keys whose tokens are valid (the signing key first). */
  keys: VerificationKey | readonly VerificationKey[];
}

/** The public half of a key as a JWK. */
export function publicJwk(key: VerificationKey): PublicJwk {
  const j = key.publicKey.export({ format: 'jwk' });
  if (j.kty === 'RSA' && j.n && j.e) return { use: 'sig', kty: 'RSA', kid: key.kid, alg: key.alg, n: j.n, e: j.e };
  if (j.kty === 'EC' && j.crv && j.x && j.y) return { use: 'sig', kty: 'EC', kid: key.kid, crv: j.crv, alg: key.alg, x: j.x, y: j.y };
  throw new Error(`cannot publish a ${String(j.kty)} key`);
}

function keyList(keys: VerificationKey | readonly VerificationKey[]): VerificationKey[] {
  const list = Array.isArray(keys) ? [...keys] : [keys as VerificationKey];
  // The same key twice (signing key also listed for verification) is published once.
  return list.filter((k, i) => list.findIndex((o) => o.kid === k.kid && o.alg === k.alg) === i);
}

export function jwks(keys: VerificationKey | readonly VerificationKey[]): JsonWebKeySet {
  const list = keyList(keys);
  if (list.length === 0) throw new Error('no keys provided for validating keyset');
  return { keys: list.map(publicJwk) };
}

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** The jwks_uri to publish; throws when the issuer or the URI would not be valid OIDC metadata. */
export function jwksUriFor(opts: Omit<OidcOptions, 'keys'>): string {
  if (!opts.issuer) throw new Error('empty issuer URL');
  const iss = parseUrl(opts.issuer);
  if (!iss) throw new Error(`issuer URL is not a URL: ${opts.issuer}`);
  if (iss.protocol !== 'https:') throw new Error(`issuer URL must use https scheme, got: ${opts.issuer}`);
  if (iss.search !== '') throw new Error(`issuer URL may not include a query, got: ${opts.issuer}`);
  if (iss.hash !== '' || opts.issuer.includes('#')) throw new Error(`issuer URL may not include a fragment, got: ${opts.issuer}`);
  if (opts.jwksUri) {
    const u = parseUrl(opts.jwksUri);
    if (!u) throw new Error(`jwksURI is not a URL: ${opts.jwksUri}`);
    if (u.protocol !== 'https:') throw new Error(`jwksURI requires https scheme, parsed as: ${opts.jwksUri}`);
    return opts.jwksUri;
  }
  const addr = opts.externalAddress ?? '';
  if (addr === '') throw new Error('either the JWKS URI or the default external address, or both, must be set');
  const uri = `https://${addr}${JWKS_PATH}`;
  const parsed = parseUrl(uri);
  if (!parsed || parsed.pathname !== JWKS_PATH || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' ||
      parsed.host.toLowerCase() !== addr.toLowerCase().replace(/:443$/, '')) {
    throw new Error(`attempted to build jwks_uri from external address ${addr}, but could not construct a valid URL`);
  }
  return uri;
}

/** The OpenID provider configuration document. Throws as jwksUriFor does. */
export function openIDConfiguration(opts: OidcOptions): OpenIDConfiguration {
  const jwksUri = jwksUriFor(opts);
  const algs = [...new Set(jwks(opts.keys).keys.map((k) => k.alg))].sort();
  return {
    issuer: opts.issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
  };
}

export interface OidcResponse {
  status: 200;
  headers: Record<string, string>;
  body: string;
}

/**
 * The response for a discovery path, or undefined for any other path. Throws
 * when the configuration is not valid (then the endpoints are not served).
 */
export function oidcResponse(path: string, opts: OidcOptions): OidcResponse | undefined {
  if (path === OPENID_CONFIG_PATH) {
    return {
      status: 200,
      headers: { 'Content-Type': OPENID_CONFIG_CONTENT_TYPE, 'Cache-Control': OIDC_CACHE_CONTROL },
      body: JSON.stringify(openIDConfiguration(opts)),
    };
  }
  if (path === JWKS_PATH) {
    return {
      status: 200,
      headers: { 'Content-Type': JWKS_CONTENT_TYPE, 'Cache-Control': OIDC_CACHE_CONTROL },
      body: JSON.stringify(jwks(opts.keys)),
    };
  }
  return undefined;
}
