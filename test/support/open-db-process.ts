// Opens (and so migrates) the store at argv[2] in a process of its own, for tests of several
// processes starting on one database. Says `ready` once loaded, opens on a line on stdin, then
// prints `opened` or the error.
import { once } from 'node:events';
import { openDb } from '../../src/store/db.js';

process.stdout.write('ready\n');
await once(process.stdin, 'data');
try {
  await (await openDb(process.argv[2] ?? '')).close();
  process.stdout.write('opened\n');
} catch (err) {
  process.stdout.write(`${(err as Error).message}\n`);
}
process.stdin.destroy();
