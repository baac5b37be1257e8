// The floor again, in a process of its own started with `npm start`'s node flags and allocator
// settings (`startScript()`), so the core alone is also measured as the service runs it: a V8
// flag that makes the service cheaper may make the core alone cheaper too. Reads the messages
// the bench wrote to DIR (warm-up first), evaluates them against the bench's contest file and
// prints the FloorResult as JSON.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadContest } from '../../src/config/contest.js';
import { measureFloor } from './floor.js';
import { RECEIVED_AT } from './generate.js';

const [dir, warm, contestFile] = process.argv.slice(2);
if (!dir || warm === undefined || !contestFile)
  throw new Error('usage: floor-child.ts DIR WARMUP_COUNT CONTEST_FILE');
const files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
const raws = await Promise.all(files.map((f) => readFile(path.join(dir, f))));
const profile = loadContest(contestFile);
const messages = raws.map((raw, i) => ({ raw, messageId: files[i] ?? '', subject: '' }));
const result = await measureFloor(
  messages.slice(0, Number(warm)),
  messages.slice(Number(warm)),
  RECEIVED_AT,
  profile,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
