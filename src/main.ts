// The process entry: `node dist/main.js <command>` once built (`npm run build`, `npm start`);
// src/bin.mjs runs the same from source.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
