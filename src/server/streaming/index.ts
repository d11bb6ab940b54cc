// The streaming subresources of pods, for the server to wire in:
//   GET  …/pods/<name>/log                          serveLogs (an ordinary request)
//   GET|POST …/pods/<name>/exec|attach (upgrade)     handleExec
//   GET|POST …/pods/<name>/portforward (upgrade)     handlePortForward
// See README.md in this folder for the pod annotations and the wiring.

import type { Duplex } from 'node:stream';
import { ApiError } from '../../api/errors.ts';
import { apiErrorParts } from './pod-config.ts';
import { refuseUpgrade, writeRawResponse } from './upgrade.ts';

export { serveLogs } from './logs.ts';
export { handleExec } from './remotecommand.ts';
export { handlePortForward } from './portforward.ts';
export { Annotation, type StreamingOptions } from './pod-config.ts';
export { isSpdyRequest, isWebSocketRequest } from './upgrade.ts';

/**
 * Answer an upgrade request with an error (an ApiError becomes its Status:
 * 401, 403, 404 …) and close the socket. For refusals that happen before a
 * handler is called: authentication, authorization, an unknown pod.
 */
export function refuseUpgradeWithError(socket: Duplex, err: unknown): void {
  if (err instanceof ApiError) {
    writeRawResponse(socket, err.code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...err.headers },
      JSON.stringify(err.toStatus()));
    return;
  }
  const p = apiErrorParts(err);
  refuseUpgrade(socket, p.code, p.reason, p.message);
}
