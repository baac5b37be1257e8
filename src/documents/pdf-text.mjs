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
export async function readPdfText({ data, maxPages, renderPages, renderWidth }) {
  // Copies taken before pdf.js owns the bytes; a few MB at most (two page images).
  const jpegs = firstAndLastJpegs(new Uint8Array(data)).map((j) => new Uint8Array(j));
  const parser = new PDFParse({
    data: new Uint8Array(data),
    cMapUrl,
    cMapPacked: true,
    standardFontDataUrl,
    isEvalSupported: false,
    verbosity: 0,
  });
  try {
    const text = await parser.getText({ pageJoiner: '', first: maxPages });
    const pageChars = text.pages.map((p) => p.text.replace(/\s/g, '').length);
    const imageOnly = pageChars.filter((n) => n < MIN_TEXT_CHARS).length;
    let images = [];
    // A pure scan whose pages are JPEGs: those are the pictures (see pdf-jpegs.mjs).
    if (imageOnly > 0 && imageOnly === text.pages.length && jpegs.length > 0) images = jpegs;
    // Scans are rendered anyway: their seal can only be seen in the picture.
    else if ((renderPages || imageOnly > 0) && text.total > 0) {
      const wanted = [...new Set([1, Math.min(text.total, maxPages)])];
      const shots = await parser.getScreenshot({
        partial: wanted,
        desiredWidth: renderWidth,
        imageBuffer: true,
        imageDataUrl: false,
      });
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
    await parser.destroy();
  }
}
