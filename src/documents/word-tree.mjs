// Reads Word files in the documents worker (documents-worker.mjs; docx.ts and doc.ts ask for
// it). The only importer of mammoth and word-extractor.
//
// A .docx is read through mammoth's document tree: paragraphs, tables as rows of cells, and
// checkbox states. extractRawText would drop tables and checkboxes (DESIGN.md §6); headers,
// footers, footnotes and comments are not in the body tree, which is what Word's 字数 counts
// anyway. The blocks sent back are small (text only); the tree stays here.
import mammoth from 'mammoth';
import WordExtractor from 'word-extractor';

/** A .docx's body blocks in document order: `{ paragraph, heading }` or `{ table: cells' text }`. */
export async function readDocxBlocks({ data }) {
  let tree = null;
  await mammoth.convertToHtml(
    { buffer: Buffer.from(data) },
    {
      // Never follow linked images or other external targets of a hostile document.
      externalFileAccess: false,
      // Keep the tree and hand mammoth an empty body: the HTML itself is not needed.
      transformDocument: (doc) => {
        tree = doc;
        return { ...doc, children: [] };
      },
    },
  );
  if (!tree) throw new Error('mammoth returned no document');
  return blocksOf(tree.children ?? []);
}

const extractor = new WordExtractor();

/**
 * A .doc's (or OLE .wps's) body text as word-extractor flattens it (doc.ts splits it), then the
 * text of the body's text boxes, which word-extractor keeps apart: Word's 字数统计 counts them,
 * as the .docx reader (mammoth) does where they stand.
 */
export async function readDocBody({ data }) {
  const doc = await extractor.extract(Buffer.from(data));
  // filterUnicode would turn “ ” ‘ ’ into ASCII quotes, which Word's 字数 counts differently.
  const body = doc.getBody({ filterUnicode: false });
  const boxes = doc.getTextboxes({ includeHeadersAndFooters: false, filterUnicode: false });
  return boxes.trim() ? `${body}\n${boxes}` : body;
}

function blocksOf(children) {
  const blocks = [];
  for (const el of children) {
    if (el.type === 'table') blocks.push({ table: tableOf(el) });
    else if (el.type === 'paragraph') {
      blocks.push({ paragraph: inlineText(el), heading: isHeading(el.styleName) });
    } else blocks.push(...blocksOf(el.children ?? []));
  }
  return blocks;
}

const isHeading = (style) => !!style && /^(heading|标题)\s*\d/i.test(style);

function tableOf(table) {
  return (table.children ?? [])
    .filter((row) => row.type === 'tableRow')
    .map((row) => (row.children ?? []).filter((c) => c.type === 'tableCell').map(cellText));
}

/** A cell's paragraphs (and nested tables' cells) one per line. */
function cellText(cell) {
  const lines = [];
  for (const el of cell.children ?? []) {
    if (el.type === 'table') {
      for (const row of tableOf(el)) lines.push(row.map(trimCell).join('\t'));
    } else lines.push(inlineText(el));
  }
  return lines.join('\n');
}

/** A nested cell's text as makeCell (word-content.ts) cleans a cell. */
const trimCell = (text) => text.replace(/(?<![ \t\r\u00a0])[ \t\r\u00a0]+$/gm, '').trim();

function inlineText(el, font = null) {
  switch (el.type) {
    case 'text':
      return symbolFontText(font, el.value ?? '');
    case 'tab':
      return '\t';
    case 'break':
      return '\n';
    case 'checkbox':
      return el.checked ? '☑' : '☐';
    case 'run':
      return (el.children ?? []).map((c) => inlineText(c, el.font ?? null)).join('');
    case 'noteReference':
    case 'commentReference':
    case 'image':
      return '';
    default:
      return (el.children ?? []).map((c) => inlineText(c, font)).join('');
  }
}

/** Symbol-font letters that Word shows as boxes (font "Wingdings 2" "R" is ☑, "£" is □). */
const SYMBOL_FONTS = {
  'wingdings 2': { R: '☑', S: '☒', T: '☒', '£': '□', '\uf052': '☑', '\uf0a3': '□' },
  wingdings: { þ: '☑', ý: '☒', '¨': '□', o: '□', '\uf0fe': '☑', '\uf0a8': '□', '\uf06f': '□' },
};

function symbolFontText(font, text) {
  const map = font ? SYMBOL_FONTS[font.toLowerCase()] : undefined;
  if (!map) return text;
  return [...text].map((ch) => map[ch] ?? ch).join('');
}
