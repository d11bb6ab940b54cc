// `kubevisor resume NAME`: see pause.ts.
export { resumeDef as def, runResume as run } from './pause.ts';
