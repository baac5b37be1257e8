// Reads a PDF with pdf-parse (pdf.js), in the documents worker (documents-worker.mjs; pdf.ts
// asks for it). The only importer of pdf-parse.
import { createRequire } from 'node:module';
import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { firstAndLastJpegs } from './pdf-jpegs.mjs';

const require = createRequire(import.meta.url);
const pdfjsDir = path.dirname(require.resolve('pdfjs-dist/package.json'));
// Without the CMaps, Chinese text in non-embedded fonts comes out empty without any error.
const cMapUrl = `${path.join(pdfjsDir, 'cmaps')}/`;
const standardFontDataUrl = `${path.join(pdfjsDir, 'standard_fonts')}/`;

// A page with fewer visible characters than this has no real text layer: a scan (a page
// number or a stray OCR glyph does not make it text).
const MIN_TEXT_CHARS = 10;

/** A PDF's text, page counts and page pictures (the documents worker's 'pdf' task). */
export async function readPdfText({ data, maxPages, renderPages, renderWidth, maxImagePixels }) {
  // Streams pdf.js refused to decode past the memory cap (documents-worker.mjs). It goes on
  // without them, as with any broken stream: text read without one would be missing parts, so
  // the PDF is too large. A page rendered without one lacks a picture too big to decode: the
  // page's render is dropped, so that no seal is looked for in what is not there.
  const refusals = () => globalThis.caseIntakeDecodeRefusals ?? 0;
  const refusedBefore = refusals();
  const overCap = () =>
    refusals() > refusedBefore &&
    Object.assign(new Error('a stream decodes past the memory cap'), { name: 'DecodedTooLarge' });
  // Copies taken before pdf.js owns the bytes; a few MB at most (two page images).
  const jpegs = firstAndLastJpegs(new Uint8Array(data)).map((j) => new Uint8Array(j));
  const bytes = new Uint8Array(data);
  const copy = catchPdfjsCopy(bytes.buffer);
  let parser;
  try {
    parser = new PDFParse({
      data: bytes,
      cMapUrl,
      cMapPacked: true,
      standardFontDataUrl,
      isEvalSupported: false,
      verbosity: 0,
      // A page is rendered from its pictures decoded whole, outside the worker's heap cap: a
      // 400 KB PDF holding a 20000 × 20000 picture took 5 GB. Larger pictures are left out.
      maxImageSize: maxImagePixels,
    });
    const text = await parser.getText({ pageJoiner: '', first: maxPages }).catch((err) => {
      throw overCap() || err;
    });
    const refused = overCap();
    if (refused) throw refused;
    const pageChars = text.pages.map((p) => p.text.replace(/\s/g, '').length);
    const imageOnly = pageChars.filter((n) => n < MIN_TEXT_CHARS).length;
    let images = [];
    // A pure scan whose pages are JPEGs: those are the pictures (see pdf-jpegs.mjs).
    if (imageOnly > 0 && imageOnly === text.pages.length && jpegs.length > 0) images = jpegs;
    // Scans are rendered anyway: their seal can only be seen in the picture.
    else if ((renderPages || imageOnly > 0) && text.total > 0) {
      const wanted = [...new Set([1, Math.min(text.total, maxPages)])];
      const rendering = refusals();
      const shots = await parser.getScreenshot({
        partial: wanted,
        desiredWidth: renderWidth,
        imageBuffer: true,
        imageDataUrl: false,
      });
      if (refusals() === rendering)
        for (const page of shots.pages) if (page.data) images.push(page.data);
    }
    return {
      pages: text.total,
      parsedPages: text.pages.length,
      imageOnlyPages: imageOnly,
      text: text.text,
      images,
    };
  } finally {
    await parser?.destroy();
    copy.release();
  }
}

const clone = globalThis.structuredClone;
/** Our buffers that pdf.js has not cloned yet, each with where its copy goes. */
const awaitingClone = new Map();

/**
 * pdf.js hands the PDF's bytes to its parser, in this same thread, through a port that clones the
 * message with the bytes transferred (`LoopbackPort`): the ArrayBuffer it parses from is a new
 * one, which this module never sees. Once the parser is destroyed it is garbage, but it has lived
 * through many young collections and so waits for this thread's next full one: PDFs' worth of
 * dead memory (docs/performance.md, "the PDF's copy in pdf.js"). This catches that ArrayBuffer as
 * the clone is made, so that `release()` frees it (as buffers.ts does) once pdf.js is done.
 * The documents worker reads several PDFs at once: one wrapper of `structuredClone` watches for
 * all of their buffers, and is in place only while one of them has not been cloned yet.
 */
export function catchPdfjsCopy(buffer) {
  const held = { copy: null };
  awaitingClone.set(buffer, held);
  globalThis.structuredClone = cloneAndCatch;
  return {
    /** Frees pdf.js's copy: call once pdf.js is done with it. */
    release() {
      awaitingClone.delete(buffer);
      restoreWhenNoneAwaited();
      if (held.copy?.byteLength > 0) clone(held.copy, { transfer: [held.copy] });
      held.copy = null;
    },
    /** pdf.js's copy, while it is held (for tests). */
    get caught() {
      return held.copy;
    },
  };
}

function cloneAndCatch(value, options) {
  const out = clone(value, options);
  for (const moved of options?.transfer ?? []) {
    const held = awaitingClone.get(moved);
    if (!held) continue;
    // pdf.js's GetDocRequest: { ..., data: { data: Uint8Array, ... } }.
    held.copy = out?.data?.data?.buffer ?? null;
    awaitingClone.delete(moved);
  }
  restoreWhenNoneAwaited();
  return out;
}

function restoreWhenNoneAwaited() {
  if (awaitingClone.size === 0) globalThis.structuredClone = clone;
}
