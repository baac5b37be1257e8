// Builds the hostile corpus (issue 6): `npx tsx scripts/make-hostile.ts` rewrites the small
// cases under fixtures/hostile/; `--large DIR` also writes the big ones (1 GB zip bomb, 50 MB
// attachment, 200 MB document.xml) into DIR. Tests build the big ones themselves, into a temp
// folder, with `writeLarge`. Output is deterministic: re-running changes no committed byte.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CASES, type HostileCase } from './hostile/cases.js';

export const HOSTILE_DIR = new URL('../fixtures/hostile/', import.meta.url).pathname;

async function writeCases(cases: HostileCase[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const c of cases) {
    const file = path.join(dir, c.file);
    writeFileSync(file, await c.build());
    files.push(file);
  }
  return files;
}

/** Writes the cases too big to commit into `dir`; returns their paths. */
export function writeLarge(dir: string): Promise<string[]> {
  return writeCases(
    CASES.filter((c) => c.large),
    dir,
  );
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const at = process.argv.indexOf('--large');
  for (const f of await writeCases(
    CASES.filter((c) => !c.large),
    HOSTILE_DIR,
  ))
    console.log(f);
  if (at >= 0)
    for (const f of await writeLarge(path.resolve(process.argv[at + 1] ?? '.'))) console.log(f);
}
