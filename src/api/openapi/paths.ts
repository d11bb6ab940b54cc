// Names of OpenAPI documents: which document a group/version or a REST path
// belongs to, the way kube-apiserver splits /openapi/v3.

/** The document path ("api/v1", "apis/apps/v1") of a group/version written as "v1", "core/v1", "apps/v1", "api/v1" or "apis/apps/v1". */
export function documentPathOf(groupVersion: string): string {
  const gv = groupVersion.replace(/^\/+|\/+$/g, '');
  if (gv.startsWith('api/') || gv.startsWith('apis/')) return gv;
  const parts = gv.split('/');
  if (parts.length === 1) return `api/${parts[0]}`;
  if (parts[0] === '' || parts[0] === 'core') return `api/${parts[1]}`;
  return `apis/${parts[0]}/${parts[1]}`;
}

/**
 * Which document a REST path belongs to, the way kube-apiserver splits its v3
 * documents: "/api/v1/pods" → "api/v1", "/apis/apps/v1/..." → "apis/apps/v1",
 * "/apis/apps/" → "apis/apps", "/api/" → "api", "/apis/" → "apis",
 * "/version/" → "version", "/logs/{logpath}" → "logs", "/openid/v1/jwks/" → "openid/v1/jwks".
 */
export function documentOfPath(path: string): string {
  const segs = path.split('/').filter((s) => s !== '');
  if (segs[0] === 'api') return segs.length >= 2 ? `api/${segs[1]}` : 'api';
  if (segs[0] === 'apis') {
    if (segs.length >= 3) return `apis/${segs[1]}/${segs[2]}`;
    if (segs.length === 2) return `apis/${segs[1]}`;
    return 'apis';
  }
  if (segs[0] === 'logs') return 'logs';
  return segs.join('/');
}
