// Entry point of the kubevisor command line. It only turns on Node's on-disk
// compile cache, which makes loading the modules on later starts several
// times faster, and then loads the CLI itself. Run from src/ (TypeScript,
// during development) or from dist/ (the build `npm start` runs).
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { runCli } = await import('./cli.ts');
await runCli(process.argv.slice(2));
