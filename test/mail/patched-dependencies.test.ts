// scripts/patch-dependencies.mjs changes installed libraries after every install. These tests
// check that each fix is in place in the copy the service loads, and that the patched MIME
// splitter splits mail exactly as the library's own code does: the same parts, headers and bytes,
// whichever way the message is cut into pieces.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { PATCHES, patchState } from '../../scripts/patch-dependencies.mjs';
import { corpusFiles } from '../support/corpus.js';

const root = new URL('../../', import.meta.url).pathname;
const fromMailparser = createRequire(path.join(root, 'node_modules/mailparser/package.json'));
const splitterFile = fromMailparser.resolve('@zone-eu/mailsplit/lib/message-splitter.js');
const [fix] = PATCHES.filter((p) => p.file === 'lib/message-splitter.js');

// The library's own splitter, unpatched: a copy of its lib/ beside the installed one (so that
// its own requires resolve), with the fix taken out again.
const scratch = mkdtempSync(path.join(root, 'node_modules/.cache-unpatched-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
cpSync(path.dirname(splitterFile), scratch, { recursive: true });
const unpatchedFile = path.join(scratch, 'message-splitter.js');
const installed = readFileSync(splitterFile, 'utf8');
writeFileSync(
  unpatchedFile,
  installed.replace(fix?.replace ?? '', () => fix?.find ?? ''),
);
/** Without the fix in place, the two would be the same code: nothing to compare. */
const comparable = fix !== undefined && installed.includes(fix.replace);

type Splitter = new () => Transform;
const load = createRequire(import.meta.url);
const Patched = load(splitterFile) as Splitter;
const Unpatched = load(unpatchedFile) as Splitter;

/** What a splitter emits for `raw` written in pieces of `size`: each part's headers and bytes. */
async function split(Splitter: Splitter, raw: Buffer, size: number): Promise<string[]> {
  const splitter = new Splitter();
  const out: string[] = [];
  splitter.on('data', (d: { type: string; value?: Buffer; getHeaders?: () => Buffer }) => {
    if (d.type === 'node') out.push(`node ${d.getHeaders?.().toString('latin1')}`);
    else out.push(`${d.type} ${d.value?.toString('latin1')}`);
  });
  const done = new Promise((resolve, reject) => {
    splitter.on('end', resolve).on('error', reject);
  });
  for (let i = 0; i < raw.length; i += size) splitter.write(raw.subarray(i, i + size));
  splitter.end();
  await done;
  return out;
}

const base64Lines = Buffer.alloc(300_000, 'x').toString('base64').replace(/.{76}/g, '$&\r\n');
const made = {
  'CRLF, a base64 part': [
    'Subject: a\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n--b\r\n',
    'Content-Type: text/plain\r\n\r\n案例\r\n--b\r\nContent-Type: application/octet-stream\r\n',
    `Content-Transfer-Encoding: base64\r\n\r\n${base64Lines}\r\n--b--\r\nepilogue`,
  ].join(''),
  'LF only, no line end at the end': `Subject: b\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\n${'line\n'.repeat(5000)}--q--`,
  'one long line and a lone CR': `Subject: c\r\n\r\n${'y'.repeat(200_000)}\rz\r\n`,
  'nothing but headers': 'Subject: d\r\nFrom: a@b.c',
};

const fixtures = new URL('../../fixtures/mail/', import.meta.url).pathname;
const files = [
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => path.join(fixtures, f)),
  ...corpusFiles('emails', (f) => f.endsWith('.eml')).slice(0, 40),
];

describe('patched dependencies', () => {
  it('are patched where the service loads them', () => {
    expect(PATCHES.length).toBeGreaterThan(0);
    for (const patch of PATCHES) expect(patchState(patch), patch.package).toBe('patched');
    expect(comparable).toBe(true);
    expect(readFileSync(unpatchedFile, 'utf8')).not.toContain(fix?.replace);
  });

  const cases: [string, Buffer][] = [
    ...Object.entries(made).map(([name, text]): [string, Buffer] => [name, Buffer.from(text)]),
    ...files.map((f): [string, Buffer] => [path.basename(f), readFileSync(f)]),
  ];
  for (const [name, raw] of cases) {
    it(`splits ${name} as the library's own code does`, async () => {
      expect(comparable, 'the installed splitter carries the fix').toBe(true);
      for (const size of [1, 2, 77, 4096, 65536]) {
        if (size < 64 && raw.length > 100_000) continue; // a piece per byte of 300 KB: minutes
        const ours = await split(Patched, raw, size);
        expect(ours.length).toBeGreaterThan(0);
        expect(ours, `pieces of ${size}`).toEqual(await split(Unpatched, raw, size));
      }
    });
  }
});
