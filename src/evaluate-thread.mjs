// The entry of an evaluation thread (src/evaluate-pool.ts). TypeScript runs through tsx, as in
// src/bin.mjs: a worker thread does not inherit the main thread's loader hooks.
import { register } from 'tsx/esm/api';

register();
const { serveEvaluations } = await import('./evaluate-pool.ts');
serveEvaluations();
