// "SQLite busy": another process takes the database's write lock (BEGIN IMMEDIATE, as any
// writer would) and sits on it for a while, longer than the service's busy_timeout.
//   node --import tsx scripts/faults/sqlite-holder.ts <DATABASE_URL> <holdMs>
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, openDb } from '../../src/store/db.js';

const [url = '', holdMs = '10000'] = process.argv.slice(2);
const db = await openDb(url, { migrate: false });
try {
  await inTransaction(db, async () => {
    process.stdout.write('write lock held\n');
    await sleep(Number(holdMs));
  });
} finally {
  await db.close();
}
process.stdout.write('write lock released\n');
