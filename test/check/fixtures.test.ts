// End to end on the fixture submissions (real .eml made with LibreOffice/ImageMagick, see
// fixtures/submissions/README.md): verdict, kind, receive time and exactly the failed rules.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check.js';
import type { CheckResult } from '../../src/types.js';

const dir = new URL('../../fixtures/submissions/', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
interface Expected {
  verdict: CheckResult['verdict'];
  failed: string[];
  receivedAt?: string;
  kind?: CheckResult['kind'];
}
const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<
  string,
  Expected
>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort();

async function checkJson(file: string): Promise<CheckResult> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  const code = await runCheck(`${dir}${file}`, { json: true }, out, new PassThrough());
  expect(code).toBe(0);
  return JSON.parse(chunks.join('')) as CheckResult;
}

describe('fixture submissions', () => {
  it('lists every .eml of the folder in expected.json', () => {
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s', async (file) => {
    const want = expected[file];
    const r = await checkJson(file);
    const failed = r.findings.filter((f) => !f.passed).map((f) => f.rule);
    expect({ verdict: r.verdict, failed: failed.sort() }).toEqual({
      verdict: want?.verdict,
      failed: [...(want?.failed ?? [])].sort(),
    });
    if (want?.kind) expect(r.kind).toBe(want.kind);
    if (want?.receivedAt) expect(r.receivedAt).toBe(want.receivedAt);
  });

  it('runs through the real CLI: `node src/bin.mjs check --json`', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      ['src/bin.mjs', 'check', '--json', `${dir}accepted-docx.eml`],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toMatchObject({ verdict: 'accepted', kind: 'submission' });
  });
});
