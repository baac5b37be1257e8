// readMail runs mailparser's parser as simpleParser does and must give the same mail for every
// field parse.ts reads, on the project's fixtures and the real-world corpus (base64, quoted-
// printable, 8bit and binary parts), although it frees decoded pieces once they are joined.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ParsedMail, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { readMail } from '../../src/mail/read-mail.js';
import { corpusDir, corpusFiles } from '../support/corpus.js';
import { makeMessage } from '../support/mail.js';

v8.setFlagsFromString('--expose-gc');
// Freed memory is counted at once, not when V8's background sweep gets round to it.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const MB = 1024 * 1024;

const OPTIONS = {
  ignoreEmbedded: true,
  skipImageLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  checksumAlgo: false,
} as const;

const fixturesDir = new URL('../../fixtures/mail/', import.meta.url).pathname;
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => path.join(fixturesDir, f));
const corpus = corpusFiles('emails', (f) => path.basename(f) !== 'INDEX.tsv');

/** 64 KB pieces, as parse.ts feeds the parser. */
const input = (raw: Buffer) =>
  Readable.from(
    Array.from({ length: Math.ceil(raw.length / 65536) }, (_, i) =>
      raw.subarray(i * 65536, (i + 1) * 65536),
    ),
    { objectMode: false },
  );

/** What parse.ts reads of a parsed mail. */
function fields(
  m: Pick<
    ParsedMail,
    'headerLines' | 'subject' | 'from' | 'replyTo' | 'to' | 'text' | 'attachments'
  >,
) {
  return {
    headerLines: m.headerLines,
    subject: m.subject,
    from: m.from,
    replyTo: m.replyTo,
    to: m.to,
    text: m.text,
    attachments: m.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      headers: [...a.headers],
      content: a.content.toString('base64'),
    })),
  };
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await p };
  } catch (err) {
    return { error: String(err) };
  }
}

describe('readMail against simpleParser', () => {
  it('has mail to compare: the fixtures, and the corpus when present', () => {
    expect(fixtures.length).toBeGreaterThan(10);
  });

  for (const file of [...fixtures, ...corpus]) {
    const name = file.startsWith(corpusDir) ? path.relative(corpusDir, file) : path.basename(file);
    it(`gives the same mail for ${name}`, async () => {
      const raw = readFileSync(file);
      const ours = await outcome(readMail(input(raw), OPTIONS));
      const theirs = await outcome(simpleParser(input(raw), OPTIONS));
      if ('error' in theirs) expect(ours).toEqual(theirs);
      else if ('ok' in ours) expect(fields(ours.ok)).toEqual(fields(theirs.ok));
      else expect.fail(`readMail failed where simpleParser did not: ${ours.error}`);
    });
  }

  it('frees the decoded pieces of an attachment once joined, old as they are', async () => {
    const file = Buffer.alloc(16 * MB, 'x');
    const raw = await makeMessage({ attachments: [{ filename: 'big.bin', content: file }] });
    // A young collection every megabyte, as a busy thread has: the pieces grow old meanwhile.
    async function* slowly() {
      for (let at = 0; at < raw.length; at += 65536) {
        if (at % MB === 0) gc({ type: 'minor' });
        yield raw.subarray(at, at + 65536);
      }
    }
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const mail = await readMail(Readable.from(slowly(), { objectMode: false }), OPTIONS);
    gc({ type: 'minor' });
    const held = process.memoryUsage().arrayBuffers - before;
    expect(mail.attachments[0]?.content.equals(file)).toBe(true);
    // The joined content and what other code leaves (~5 MB), not its 16 MB of pieces beside it.
    expect(held).toBeLessThan(16 * MB + 8 * MB);
  });
});
