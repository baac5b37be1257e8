// Reads .doc (Word 97–2003) and OLE .wps through word-extractor, the only importer of it.
// word-extractor flattens tables: every cell ends with '\t' and a row's last cell mark is
// followed by '\n', so a line ending in '\t' closes a table row; lines before it that have no
// such ending belong to that row's multi-paragraph cells.
import WordExtractor from 'word-extractor';
import type { TableCell, WordContent } from '../types.js';
import { DocumentError } from './problems.js';
import { type Block, buildWordContent, makeCell } from './word-content.js';

const extractor = new WordExtractor();

export async function readDoc(buf: Buffer): Promise<WordContent> {
  let doc: Awaited<ReturnType<WordExtractor['extract']>>;
  try {
    doc = await extractor.extract(buf);
  } catch (err) {
    // word-extractor reads Word 97 and later; Word 6/95 files fail its magic-number check.
    if (/magic number/i.test(String((err as Error).message))) throw oldFormat();
    throw err;
  }
  // filterUnicode would turn “ ” ‘ ’ into ASCII quotes, which Word's 字数 counts differently.
  const body: string = doc.getBody({ filterUnicode: false });
  return buildWordContent(splitBody(body));
}

function oldFormat(): DocumentError {
  return new DocumentError({
    kind: 'unsupported',
    message:
      'Word 文档是 Word 95 等早期格式，无法读取，请用新版 Word 或 WPS 另存为 .docx 后重新发送',
  });
}

/** Splits word-extractor's body text into paragraphs and tables (exported for tests). */
export function splitBody(body: string): Block[] {
  const blocks: Block[] = [];
  let table: TableCell[][] | null = null;
  let pending: string[] = [];
  const endTable = () => {
    if (table) blocks.push({ table });
    table = null;
    for (const line of pending) blocks.push({ paragraph: line });
    pending = [];
  };
  for (const line of body.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.endsWith('\t')) {
      const cells = [...pending, line].join('\n').split('\t').slice(0, -1);
      pending = [];
      table ??= [];
      table.push(cells.map(makeCell));
    } else if (table && (pending.length > 0 || line.trim() !== '')) {
      pending.push(line);
    } else {
      endTable();
      blocks.push({ paragraph: line });
    }
  }
  endTable();
  return blocks;
}
