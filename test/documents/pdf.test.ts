import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { millionPagesPdf } from '../../scripts/hostile/pdf.js';
import { isGarbled, readPdf } from '../../src/documents/pdf.js';
import { DocumentError } from '../../src/documents/problems.js';
import { closeDocumentsWorker } from '../../src/documents/worker.js';
import { corpusDir, corpusFound } from '../support/corpus.js';
import { fixture, profile } from './helpers.js';

const limits = profile.limits.pdf;
afterAll(closeDocumentsWorker);

describe('readPdf', () => {
  it('extracts Chinese text of a text PDF, no scan pages, no rendering', async () => {
    const { content, pageImages, garbled } = await readPdf(fixture('form-text.pdf'), limits);
    expect(content).toMatchObject({ pages: 1, imageOnlyPages: 0 });
    expect(content.text).toContain('示例银行股份有限公司');
    expect(pageImages).toEqual([]);
    expect(garbled).toBe(false);
  });

  it('counts image-only pages of a scan and renders it for the seal check', async () => {
    const { content, pageImages } = await readPdf(fixture('scan-seal.pdf'), limits);
    expect(content).toMatchObject({ pages: 1, imageOnlyPages: 1 });
    expect(pageImages).toHaveLength(1);
    // A pure JPEG scan hands over its own page picture (pdf-jpegs.mjs) instead of a PNG rendering.
    expect([...(pageImages[0]?.subarray(0, 2) ?? [])]).toEqual([0xff, 0xd8]);
  });

  it('reports a password-protected PDF as encrypted', async () => {
    await expect(readPdf(fixture('encrypted.pdf'), limits)).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.problem.kind === 'encrypted',
    );
  });

  it('reports garbage as unreadable', async () => {
    await expect(readPdf(Buffer.from('%PDF-1.4\nnot really a pdf'), limits)).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.problem.kind === 'unreadable',
    );
  });

  it('terminates a worker past the timeout and serves the next request with a fresh one', async () => {
    // A PDF of a million pages keeps pdf.js busy for over 100 ms even on a fast machine with the
    // worker warm (120–170 ms measured; a loaded machine only takes longer), so a 20 ms timeout,
    // not a race with the answer, decides.
    const stalled = readPdf(millionPagesPdf(), { ...limits, timeoutMs: 20 });
    await expect(stalled).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.problem.message.includes('已停止'),
    );
    const { content } = await readPdf(fixture('form-text.pdf'), limits);
    expect(content.pages).toBe(1);
  });
});

describe('isGarbled', () => {
  it('tells GBK bytes read as Latin-1 from real Chinese', () => {
    expect(isGarbled('Ä¿¡¡¡¡Â¼\n¹ØÓÚºì¾ü×÷Õ½μÄÔ-Ôò £±¨Ãû±í¹ØÓÚ')).toBe(true);
    expect(isGarbled('关于红军作战的原则 café')).toBe(false);
  });
});

describe.skipIf(!corpusFound)('corpus PDFs', () => {
  it('decodes Chinese text in a non-embedded font through the CMaps', async () => {
    const { content } = await readPdf(
      readFileSync(`${corpusDir}/pdf/pdfjs/issue2128r.pdf`),
      limits,
    );
    expect(content.text).toContain('浅谈校长的魅力');
  });

  it('flags XiaoBiaoSong.pdf (font without a Unicode map) as garbled', async () => {
    const read = await readPdf(readFileSync(`${corpusDir}/pdf/pdfjs/XiaoBiaoSong.pdf`), limits);
    expect(read.garbled).toBe(true);
    expect(read.content.text).toBe('');
  });

  it('sees the scanned form issue7229.pdf as image-only', async () => {
    const { content } = await readPdf(readFileSync(`${corpusDir}/pdf/pdfjs/issue7229.pdf`), limits);
    expect(content.imageOnlyPages).toBe(content.pages);
  });
});

// The documents worker's PDF reader (plain .mjs, no types), and the pdf-parse it drives.
interface PdfText {
  catchPdfjsCopy(buffer: ArrayBuffer): { release(): void; readonly caught: ArrayBuffer | null };
  readPdfText(task: {
    data: ArrayBuffer;
    maxPages: number;
    renderPages: boolean;
    renderWidth: number;
  }): Promise<unknown>;
}
const pdfText = () => import('../../src/documents/pdf-text.mjs' as string) as Promise<PdfText>;

describe("pdf.js's copy of the PDF", () => {
  it('is caught as pdf.js takes the bytes, and freed once the parser is destroyed', async () => {
    const { catchPdfjsCopy } = await pdfText();
    const { PDFParse } = await import('pdf-parse');
    const original = globalThis.structuredClone;
    const bytes = new Uint8Array(fixture('form-text.pdf')); // memory of its own
    const length = bytes.byteLength;
    const copy = catchPdfjsCopy(bytes.buffer);
    const parser = new PDFParse({ data: bytes, verbosity: 0 });
    expect((await parser.getText()).text).toContain('示例银行股份有限公司');
    expect(bytes.byteLength).toBe(0); // moved to pdf.js's side of its port
    const caught = copy.caught;
    expect(caught?.byteLength).toBe(length);
    expect(globalThis.structuredClone).toBe(original); // put back as soon as it caught the copy
    await parser.destroy();
    copy.release();
    expect(caught?.byteLength).toBe(0);
    expect(copy.caught).toBeNull();
  });

  it('is caught for each of two PDFs read at once, as the documents worker reads them', async () => {
    const { catchPdfjsCopy } = await pdfText();
    const { PDFParse } = await import('pdf-parse');
    const original = globalThis.structuredClone;
    const a = new Uint8Array(fixture('form-text.pdf'));
    const b = new Uint8Array(fixture('form-text.pdf'));
    const lengths = [a.byteLength, b.byteLength];
    const copies = [catchPdfjsCopy(a.buffer), catchPdfjsCopy(b.buffer)];
    const parsers = [a, b].map((data) => new PDFParse({ data, verbosity: 0 }));
    await Promise.all(parsers.map((p) => p.getText()));
    const caught = copies.map((c) => c.caught);
    expect(caught.map((c) => c?.byteLength)).toEqual(lengths);
    expect(globalThis.structuredClone).toBe(original);
    for (const p of parsers) await p.destroy();
    for (const c of copies) c.release();
    expect(caught.map((c) => c?.byteLength)).toEqual([0, 0]);
    expect(globalThis.structuredClone).toBe(original);
  });

  it('leaves structuredClone as it was when pdf.js cannot read the file', async () => {
    const { readPdfText } = await pdfText();
    const original = globalThis.structuredClone;
    const data = new TextEncoder().encode('%PDF-1.4\nnot really a pdf').buffer;
    await expect(
      readPdfText({ data, maxPages: 5, renderPages: false, renderWidth: 800 }),
    ).rejects.toThrow();
    expect(globalThis.structuredClone).toBe(original);
  });
});
