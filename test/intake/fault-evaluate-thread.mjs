// An evaluation thread (src/evaluate-thread.ts) with one fault for evaluate-pool.test.ts: the
// first job of a run crashes its thread (`crash`) or never finishes (`hang`). The marker file
// makes "first" hold across threads, so the retried job runs normally on a new thread.
import { existsSync, writeFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { serveEvaluations } = await import('../../src/evaluator.ts');
const [mode, marker] = (process.env.INTAKE_TEST_THREAD_FAULT ?? '').split(':');

serveEvaluations(async () => {
  if (!marker || existsSync(marker)) return;
  writeFileSync(marker, mode);
  if (mode === 'crash') process.exit(3);
  if (mode === 'hang') await new Promise(() => setInterval(() => undefined, 1_000));
});
