// Entry point of the `start` role for process managers and containers:
//   node --import tsx workers/start.ts      (the same as `intake start`)
import { main } from '../src/cli.js';

process.exitCode = await main(['start', ...process.argv.slice(2)]);
