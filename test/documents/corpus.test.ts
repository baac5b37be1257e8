// Every real document, PDF and archive of the shared corpus goes through readOne: it never
// throws, finishes, and decodes Chinese text without U+FFFD where the source is Chinese.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDocumentsWorker, readOne } from '../../src/documents/index.js';
import type { DocumentRead } from '../../src/types.js';
import { corpusDir, corpusFiles, corpusFound } from '../support/corpus.js';
import { profile } from './helpers.js';

afterAll(closeDocumentsWorker);

const files = [...corpusFiles('documents'), ...corpusFiles('pdf'), ...corpusFiles('archives')];
// Real Chinese documents (corpus README): their text must be free of U+FFFD.
const CHINESE = [
  /documents\/szmath\//,
  /documents\/hhwxs\//,
  /apache-poi\/61490\.doc$/,
  /documents\/word-extractor\/test11/,
  /pdf\/pdfjs\/issue(2128r|19360)\.pdf$/,
  /pdf\/szmath\//,
];
const textOf = (r: DocumentRead) => r.word?.text ?? r.pdf?.text ?? '';

describe.skipIf(!corpusFound)(`corpus sweep (${corpusDir})`, () => {
  it.each(files.map((f) => [path.relative(corpusDir, f), f]))(
    '%s is read without throwing',
    { timeout: 15_000 },
    async (_rel, file) => {
      const reads = await readOne(path.basename(file), readFileSync(file), profile);
      expect(reads.length).toBeGreaterThan(0);
      for (const r of reads) {
        expect(r.detectedType).toBeTypeOf('string');
        for (const p of r.problems) expect(p.message).toMatch(/[\u4e00-\u9fff]/);
      }
      if (CHINESE.some((re) => re.test(file))) {
        const text = reads.map(textOf).join('');
        expect(text).toMatch(/[\u4e00-\u9fff]/);
        expect(text).not.toContain('\uFFFD');
      }
      for (const r of reads) expect(r.entry.filename).not.toContain('\uFFFD');
    },
  );

  it('names the entries of adm-zip-chs_name.zip in Chinese', async () => {
    const file = `${corpusDir}/archives/adm-zip-chs_name.zip`;
    const reads = await readOne('adm-zip-chs_name.zip', readFileSync(file), profile);
    expect(reads.map((r) => r.entry.filename)).toEqual(['adm-zip-chs_name.zip', '中文路径.txt']);
  });
});
