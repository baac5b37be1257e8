// An evaluation thread (src/evaluate-thread.ts) with one fault for evaluate-pool.test.ts: the
// first job of a run crashes its thread (`crash`) or never finishes (`hang`; with `hang-beside`
// the others take 30 s, so they are still running when its time runs out; `spin-beside` is the
// same with the first job stuck in a loop of its own code). The marker file makes
// "first" hold across threads, so the retried job runs normally on a new thread.
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { register } from 'tsx/esm/api';

register();
const { serveEvaluations } = await import('../../src/evaluator.ts');
const [mode, marker] = (process.env.INTAKE_TEST_THREAD_FAULT ?? '').split(':');

const forever = () => new Promise(() => setInterval(() => undefined, 1_000));

serveEvaluations(async () => {
  if (!marker) return;
  const first = !existsSync(marker);
  if (first) writeFileSync(marker, mode);
  if (mode === 'crash' && first) process.exit(3);
  if (mode === 'hang' && first) await forever();
  if (mode === 'hang-beside') await (first ? forever() : setTimeout(30_000));
  // The first job stuck in its own code: the thread's loop stops with it.
  if (mode === 'spin-beside') {
    if (first) for (;;);
    await setTimeout(30_000);
  }
});
