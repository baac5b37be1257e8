// Entry point of the `web` role for process managers and containers:
//   node --import tsx workers/web.ts      (the same as `intake web`)
import { main } from '../src/cli.js';

process.exitCode = await main(['web', ...process.argv.slice(2)]);
