// The whole validation core over every real email of the shared corpus: no crash, no hang, a
// verdict for each, and Chinese subjects decoded (no U+FFFD where mailparser alone gives one).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { closeDocumentsWorker } from '../../src/documents/index.js';
import { validateMessage } from '../../src/validate.js';
import { corpusDir, corpusFiles, corpusFound } from '../support/corpus.js';

const profile = loadContest();
const emails = corpusFiles(
  'emails',
  (f) => !f.endsWith('.tsv') && !path.basename(f).startsWith('.'),
);

afterAll(closeDocumentsWorker);

describe.skipIf(!corpusFound)(`validateMessage over ${corpusDir}/emails`, () => {
  it('finds the corpus', () => {
    expect(emails.length).toBeGreaterThan(200);
  });

  it.each(emails.map((f) => [path.relative(corpusDir, f), f]))(
    '%s: a verdict, within a few seconds',
    async (_name, file) => {
      const started = Date.now();
      const { result } = await validateMessage(
        readFileSync(file),
        new Date('2025-10-18T10:00:00+08:00'),
        profile,
      );
      expect(['accepted', 'rejected', 'needs_review', 'not_submission']).toContain(result.verdict);
      expect(result.findings.every((f) => !f.message.startsWith('规则检查出错'))).toBe(true);
      expect(result.subject.raw).not.toContain('\uFFFD');
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    30_000,
  );
});
