// Mutation run: every corpus email (../shared/corpus/emails) and every fixture submission,
// damaged five ways each with a fixed seed — byte flips, inserted junk, a cut, a deleted or a
// doubled span — through validateMessage: a verdict each, never an exception. Issue 6.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { closeDocumentsWorker } from '../../src/documents/index.js';
import { validateMessage } from '../../src/validate.js';
import { corpusDir, corpusFiles, corpusFound } from '../support/corpus.js';
import { seededRandom } from '../support/random.js';

const base = loadContest();
// Damaged documents may hang a reader until its timeout; shorter ones keep the run bounded
// (the timeouts themselves are what is under test, not their length).
const profile = {
  ...base,
  limits: {
    ...base.limits,
    documentTimeoutMs: 5_000,
    pdf: { ...base.limits.pdf, timeoutMs: 5_000 },
  },
};
const SEED = 20251020;
const MUTANTS = 5;
const receivedAt = new Date('2025-10-15T10:00:00+08:00');

const hash = (s: string) =>
  [...s].reduce((h, c) => (Math.imul(h, 31) + (c.codePointAt(0) ?? 0)) >>> 0, SEED);

// The bytes that steer a MIME parser: flipping to them hits the structure, not just the data.
const SPECIAL = Buffer.from('\r\n-=:;"?\\\0 \x80\xff');

/** The i-th mutant of `raw`; kinds rotate so each message gets every kind once. */
function mutate(raw: Buffer, i: number, random: () => number): Buffer {
  const at = () => Math.floor(random() * raw.length);
  const junk = (n: number) =>
    Buffer.from(
      Array.from({ length: n }, () =>
        random() < 0.5
          ? (SPECIAL[Math.floor(random() * SPECIAL.length)] ?? 0)
          : Math.floor(random() * 256),
      ),
    );
  switch (i % 5) {
    case 0: {
      const out = Buffer.from(raw);
      for (let k = 0; k < 1 + Math.floor(random() * 16); k++) out[at()] = junk(1)[0] ?? 0;
      return out;
    }
    case 1: {
      const p = at();
      return Buffer.concat([
        raw.subarray(0, p),
        junk(1 + Math.floor(random() * 64)),
        raw.subarray(p),
      ]);
    }
    case 2:
      return raw.subarray(0, at());
    case 3: {
      const p = at();
      return Buffer.concat([
        raw.subarray(0, p),
        raw.subarray(Math.min(raw.length, p + 1 + Math.floor(random() * 4096))),
      ]);
    }
    default: {
      const p = at();
      const span = raw.subarray(p, p + 1 + Math.floor(random() * 4096));
      return Buffer.concat([raw.subarray(0, p), span, span, raw.subarray(p)]);
    }
  }
}

async function survives(file: string) {
  const raw = readFileSync(file);
  const random = seededRandom(hash(path.basename(file)));
  for (let i = 0; i < MUTANTS; i++) {
    const mutant = mutate(raw, i, random);
    const { result } = await validateMessage(mutant, receivedAt, profile).catch((err: Error) => {
      throw new Error(`${path.basename(file)} mutant ${i} threw: ${err.stack}`);
    });
    expect(['accepted', 'rejected', 'needs_review', 'not_submission'], `${file} #${i}`).toContain(
      result.verdict,
    );
    expect(
      result.findings.every((f) => typeof f.message === 'string' && f.message.length > 0),
    ).toBe(true);
  }
}

afterAll(() => closeDocumentsWorker());

const FIXTURES = new URL('../../fixtures/submissions/', import.meta.url).pathname;

describe('mutated fixture submissions', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  it('has fixtures to mutate', () => expect(files.length).toBeGreaterThan(20));
  for (const f of files)
    it(`${f}: ${MUTANTS} mutants, a verdict each`, () => survives(path.join(FIXTURES, f)));
});

describe.skipIf(!corpusFound)(`mutated corpus emails (${corpusDir}/emails)`, () => {
  const files = corpusFiles('emails', (f) => !/\.(md|tsv)$/i.test(f));
  it('has corpus emails to mutate', () => expect(files.length).toBeGreaterThan(50));
  for (const f of files)
    it(`${path.relative(corpusDir, f)}: ${MUTANTS} mutants, a verdict each`, () => survives(f));
});
