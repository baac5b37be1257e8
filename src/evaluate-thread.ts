// The entry of an evaluation thread (started by src/evaluate-pool.ts), as built into dist/. From source the
// pool starts evaluate-thread-tsx.mjs instead, which loads this file through tsx.
import { serveEvaluations } from './evaluator.js';

serveEvaluations();
