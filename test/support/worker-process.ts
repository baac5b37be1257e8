// A worker role in its own process, for tests that kill it with SIGKILL. Built by the same
// createApp as `intake worker`; only the job lock is short so a killed job is retried soon.
import { createApp } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';

const app = await createApp(loadEnv(), {
  roles: ['worker'],
  log: createLogger(process.env.LOG_LEVEL ?? 'warn'),
  concurrency: 1,
  lockDurationMs: 3_000,
  sweepIntervalMs: 1_000,
});
await app.start();
process.stdout.write('worker ready\n');
process.once('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
