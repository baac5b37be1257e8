// The entry of an evaluation thread when the service runs from source (`npx intake`, tests):
// TypeScript through tsx, as in src/bin.mjs, since a worker thread does not inherit the main
// thread's loader hooks. Built (`npm start`), the pool starts dist/evaluate-thread.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./evaluate-thread.ts');
