// Reads .docx in the documents worker (word-tree.mjs walks mammoth's document tree there) after
// two checks here: a password-protected file, and an XML part that would inflate too far.
import type { ContestProfile } from '../config/contest.js';
import type { WordContent } from '../types.js';
import { oversizedEntry } from './archive.js';
import { DocumentError, passwordProtected } from './problems.js';
import { buildWordContent, makeCell, wordLimits } from './word-content.js';
import { runTask, taskBytes, type WorkerLimits } from './worker.js';

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);
// mammoth (JSZip) inflates every XML part it reads whole and builds a DOM of it: a 200 MB
// document.xml compressed to 200 KB would take gigabytes. A 5000-字 report with heavy formatting
// is about 1 MB of XML; 16 MB leaves room for long forms and still keeps the DOM a few hundred MB.
// All the parts together: a few MB in a real document (styles, numbering, headers, comments).
const XML_LIMITS = {
  maxBytes: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxEntries: 10_000,
};

export async function readDocx(
  buf: Buffer,
  limits: ContestProfile['limits'],
  /** The caller is done with `buf`: its memory may move to the documents worker. */
  handOver = false,
  /** The message's reading time, added to (WorkerLimits.clock). */
  clock?: WorkerLimits['clock'],
): Promise<WordContent> {
  // A .docx saved with a password is an OLE container (EncryptionInfo + EncryptedPackage).
  if (buf.subarray(0, 4).equals(OLE_MAGIC)) throw passwordProtected();
  const oversized = await oversizedEntry(buf, (n) => /\.(xml|rels)$/i.test(n), XML_LIMITS);
  if (oversized) {
    throw new DocumentError({
      kind: 'too_large',
      message: `Word 文档内部内容异常庞大（${oversized}），未予读取，请删除多余内容后另存为新的 .docx 再发送`,
    });
  }
  const blocks = await runTask(
    { kind: 'docx', data: taskBytes(buf, handOver) },
    wordLimits(limits, clock),
  );
  return buildWordContent(
    blocks.map((b) => ('table' in b ? { table: b.table.map((row) => row.map(makeCell)) } : b)),
  );
}
