// Reads .doc (Word 97–2003) and OLE .wps: word-extractor reads the body text in the documents
// worker (word-tree.mjs), and this splits it into paragraphs and tables. word-extractor
// flattens tables: every cell ends with '\t' and a row's last cell mark is followed by '\n', so
// a line ending in '\t' closes a table row; lines before it that have no such ending belong to
// that row's multi-paragraph cells.
import type { ContestProfile } from '../config/contest.js';
import type { TableCell, WordContent } from '../types.js';
import { encryptedWord97 } from './detect.js';
import { DocumentError, passwordProtected } from './problems.js';
import { type Block, buildWordContent, makeCell, wordLimits } from './word-content.js';
import { runTask, TaskError, taskBytes, type WorkerLimits } from './worker.js';

export async function readDoc(
  buf: Buffer,
  limits: ContestProfile['limits'],
  /** The caller is done with `buf`: its memory may move to the documents worker. */
  handOver = false,
  /** The message's reading time, added to (WorkerLimits.clock). */
  clock?: WorkerLimits['clock'],
): Promise<WordContent> {
  if (encryptedWord97(buf)) throw passwordProtected();
  let body: string;
  try {
    body = await runTask(
      { kind: 'doc', data: taskBytes(buf, handOver) },
      wordLimits(limits, clock),
    );
  } catch (err) {
    // word-extractor reads Word 97 and later; Word 6/95 files fail its magic-number check.
    if (err instanceof TaskError && /magic number/i.test(err.message)) throw oldFormat();
    throw err;
  }
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
