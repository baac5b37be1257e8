// The shared real-world corpus lives beside the project (`../shared/corpus`), not in it. A fresh
// clone elsewhere has none: tests that need it say so plainly and the rest of the suite runs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const projectRoot = new URL('../..', import.meta.url).pathname;
export const corpusDir = path.resolve(projectRoot, '..', 'shared', 'corpus');
export const corpusFound = existsSync(corpusDir);

if (!corpusFound) {
  console.warn(`corpus not found at ${corpusDir}: corpus sweeps are not run in this checkout`);
}

/** Every file below `sub` of the corpus, recursively, sorted; [] when the corpus is absent. */
export function corpusFiles(sub: string, filter: (file: string) => boolean = () => true): string[] {
  const root = path.join(corpusDir, sub);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (filter(full)) out.push(full);
    }
  };
  walk(root);
  return out;
}
