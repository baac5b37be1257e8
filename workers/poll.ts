// Entry point of the `poll` role for process managers and containers:
//   node --import tsx workers/poll.ts      (the same as `intake poll`)
import { main } from '../src/cli.js';

process.exitCode = await main(['poll', ...process.argv.slice(2)]);
