// `npm run gen`: regenerate every derived table from ../shared/k8s-api.
import { spawnSync } from 'node:child_process';

for (const script of ['gen-catalog.ts', 'gen-protobuf.ts', 'gen-schemas.ts', 'gen-openapi.ts']) {
  console.log(`== ${script}`);
  const r = spawnSync(process.execPath, [`scripts/${script}`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
