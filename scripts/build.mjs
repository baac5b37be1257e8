// `npm run build`: src/ → dist/, file by file (esbuild strips the types; no bundling), so dist/
// mirrors src/ at the same depth and paths relative to a module (../../config) still hold.
// Plain .mjs modules are copied; the tsx entries are not (dist/ runs without tsx).
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist');
const FROM_SOURCE_ONLY = new Set(['bin.mjs', 'evaluate-thread-tsx.mjs']);

const files = (await readdir(SRC, { recursive: true })).map((f) => path.join(SRC, f));
const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const mjs = files.filter((f) => f.endsWith('.mjs') && !FROM_SOURCE_ONLY.has(path.basename(f)));

await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: ts,
  outdir: OUT,
  outbase: SRC,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const f of mjs) await cp(f, path.join(OUT, path.relative(SRC, f)));
process.stderr.write(`build: ${ts.length} modules and ${mjs.length} .mjs files -> dist/\n`);
