// Entry point of the `worker` role for process managers and containers:
//   node --import tsx workers/worker.ts      (the same as `intake worker`)
import { main } from '../src/cli.js';

process.exitCode = await main(['worker', ...process.argv.slice(2)]);
