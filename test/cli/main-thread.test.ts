// The service's main thread does IMAP, Redis, the database and the dashboard; the validation
// core (mailparser, mammoth, sharp) lives in the evaluation threads. Setting up what the main
// thread runs must not load the core: ~10 MB of heap, and code that runs nowhere else.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/app.js';

const run = promisify(execFile);
const temps: string[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await rm(t, { recursive: true, force: true });
});

const CORE = /\/node_modules\/(mailparser|mammoth|sharp)\/|\/src\/validate\.ts$/;

describe("the main thread's modules", () => {
  it('app and dashboard set-up load no part of the validation core; the first re-evaluation does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-imports-'));
    temps.push(dir);
    const src = (p: string) => JSON.stringify(path.join(PROJECT_ROOT, 'src', p));
    const script = path.join(dir, 'probe.mts');
    await writeFile(
      script,
      `
      import { loadContest } from ${src('config/contest.ts')};
      import { createBlobStore } from ${src('store/blobs.ts')};
      import { createReprocessEvaluator } from ${src('web/evaluate.ts')};
      await import(${src('app.ts')});
      await import(${src('web/role.ts')});
      const evaluate = createReprocessEvaluator({
        blobs: createBlobStore(${JSON.stringify(dir)}),
        profile: loadContest(${JSON.stringify(path.join(PROJECT_ROOT, 'config/contest-2025.json'))}),
      });
      const settle = () => new Promise((r) => setTimeout(r, 200));
      await settle();
      const before = [...globalThis.importedUrls];
      // No such blob: the evaluation fails, after loading the core.
      await evaluate({ sha256: '0'.repeat(64), receivedAt: new Date() }).catch(() => undefined);
      await settle();
      process.stdout.write(JSON.stringify({ before, after: [...globalThis.importedUrls] }));
      `,
    );
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--import', './test/support/record-imports.mjs', script],
      { cwd: PROJECT_ROOT },
    );
    const { before, after } = JSON.parse(stdout) as { before: string[]; after: string[] };
    expect(before.some((u) => u.endsWith('/src/app.ts'))).toBe(true);
    expect(before.filter((u) => CORE.test(u))).toEqual([]);
    expect(after.filter((u) => /\/node_modules\/mailparser\//.test(u)).length).toBeGreaterThan(0);
    expect(after.some((u) => u.endsWith('/src/validate.ts'))).toBe(true);
  });
});
