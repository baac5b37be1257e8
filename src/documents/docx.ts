// Reads .docx through mammoth's document tree (the only importer of mammoth): paragraphs,
// tables as rows of cells, and checkbox states. extractRawText would drop tables and
// checkboxes (DESIGN.md §6); headers, footers, footnotes and comments are not in the body tree,
// which is what Word's 字数 counts anyway.
import mammoth from 'mammoth';
import type { TableCell, WordContent } from '../types.js';
import { oversizedEntry } from './archive.js';
import { DocumentError } from './problems.js';
import { type Block, buildWordContent, makeCell, symbolFontText } from './word-content.js';

interface Element {
  type: string;
  children?: Element[];
  value?: string;
  checked?: boolean;
  font?: string | null;
  styleName?: string | null;
}

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);
// mammoth (JSZip) inflates every XML part it reads whole and builds a DOM of it: a 200 MB
// document.xml compressed to 200 KB would take gigabytes. A 5000-字 report with heavy formatting
// is about 1 MB of XML; 16 MB leaves room for long forms and still keeps the DOM a few hundred MB.
const MAX_XML_PART_BYTES = 16 * 1024 * 1024;
const MAX_PACKAGE_ENTRIES = 10_000;

export async function readDocx(buf: Buffer): Promise<WordContent> {
  // A .docx saved with a password is an OLE container (EncryptionInfo + EncryptedPackage).
  if (buf.subarray(0, 4).equals(OLE_MAGIC)) {
    throw new DocumentError({
      kind: 'encrypted',
      message: 'Word 文档设置了打开密码，无法读取，请去掉密码后重新发送',
    });
  }
  const oversized = await oversizedEntry(
    buf,
    (n) => /\.(xml|rels)$/i.test(n),
    MAX_XML_PART_BYTES,
    MAX_PACKAGE_ENTRIES,
  );
  if (oversized) {
    throw new DocumentError({
      kind: 'too_large',
      message: `Word 文档内部内容异常庞大（${oversized} 解压后超过 16 MB），未予读取，请删除多余内容后另存为新的 .docx 再发送`,
    });
  }
  let tree: Element | null = null;
  await mammoth.convertToHtml(
    { buffer: buf },
    {
      // Never follow linked images or other external targets of a hostile document.
      externalFileAccess: false,
      // Keep the tree and hand mammoth an empty body: the HTML itself is not needed.
      transformDocument: (doc: Element) => {
        tree = doc;
        return { ...doc, children: [] };
      },
    },
  );
  if (!tree) throw new Error('mammoth returned no document');
  return buildWordContent(blocksOf((tree as Element).children ?? []));
}

function blocksOf(children: Element[]): Block[] {
  const blocks: Block[] = [];
  for (const el of children) {
    if (el.type === 'table') blocks.push({ table: tableOf(el) });
    else if (el.type === 'paragraph') {
      blocks.push({ paragraph: inlineText(el), heading: isHeading(el.styleName) });
    } else blocks.push(...blocksOf(el.children ?? []));
  }
  return blocks;
}

const isHeading = (style: string | null | undefined) =>
  !!style && /^(heading|标题)\s*\d/i.test(style);

function tableOf(table: Element): TableCell[][] {
  return (table.children ?? [])
    .filter((row) => row.type === 'tableRow')
    .map((row) =>
      (row.children ?? []).filter((c) => c.type === 'tableCell').map((c) => makeCell(cellText(c))),
    );
}

/** A cell's paragraphs (and nested tables' cells) one per line. */
function cellText(cell: Element): string {
  const lines: string[] = [];
  for (const el of cell.children ?? []) {
    if (el.type === 'table') {
      for (const row of tableOf(el)) lines.push(row.map((c) => c.text).join('\t'));
    } else lines.push(inlineText(el));
  }
  return lines.join('\n');
}

function inlineText(el: Element, font: string | null = null): string {
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
