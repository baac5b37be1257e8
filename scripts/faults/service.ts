// One role of the service in its own process, for the fault suite: built by the same createApp
// as `intake poll|worker`, configured by the usual environment (IMAP_*, SMTP_*, DATABASE_URL,
// REDIS_URL, DATA_DIR). Only the timings a fault run needs come from the command line, as
// createApp options: a short job lock (a SIGKILLed worker's job is retried within seconds
// instead of 30 s) and a short sweep interval (work lost with Redis is re-enqueued quickly).
//   node --import tsx scripts/faults/service.ts <poll|worker> [lockMs] [sweepMs] [concurrency]
import { createApp, type Role } from '../../src/app.js';
import { loadEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';

const [role = 'worker', lockMs = '3000', sweepMs = '2000', concurrency = '2'] =
  process.argv.slice(2);
const env = loadEnv();
const log = createLogger(env.logLevel, undefined);
const app = await createApp(env, {
  roles: [role as Role],
  log,
  concurrency: Number(concurrency),
  lockDurationMs: Number(lockMs),
  sweepIntervalMs: Number(sweepMs),
});
await app.start();
process.stdout.write(`service ready: ${role}\n`);
process.once('SIGTERM', () => {
  void app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
