// scripts/patch-dependencies.mjs changes installed libraries after every install. These tests
// check that each fix is in place in the copy the service loads, and that the patched MIME
// splitter and base64 decoder give exactly what the libraries' own code gives: the same parts,
// headers and bytes, whichever way the input is cut into pieces.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { PATCHES, patchState } from '../../scripts/patch-dependencies.mjs';
import { corpusFiles } from '../support/corpus.js';
import { seededRandom } from '../support/random.js';

const root = new URL('../../', import.meta.url).pathname;
const fromMailparser = createRequire(path.join(root, 'node_modules/mailparser/package.json'));
const fromMailsplit = createRequire(fromMailparser.resolve('@zone-eu/mailsplit/package.json'));
const load = createRequire(import.meta.url);
const scratches: string[] = [];
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/**
 * The installed module and the library's own, unpatched: a copy of the module's folder beside the
 * installed one (so that its own requires resolve), with the fix taken out again. `comparable`
 * is false when the installed module does not carry the fix: then both would be the same code.
 */
function withAndWithout<T>(installedFile: string) {
  const fix = PATCHES.find((p) => installedFile.endsWith(path.join(p.package, p.file)));
  const scratch = mkdtempSync(path.join(root, 'node_modules/.cache-unpatched-'));
  scratches.push(scratch);
  cpSync(path.dirname(installedFile), scratch, { recursive: true });
  const unpatchedFile = path.join(scratch, path.basename(installedFile));
  const installed = readFileSync(installedFile, 'utf8');
  writeFileSync(
    unpatchedFile,
    installed.replace(fix?.replace ?? '', () => fix?.find ?? ''),
  );
  return {
    patched: load(installedFile) as T,
    unpatched: load(unpatchedFile) as T,
    comparable:
      fix !== undefined &&
      installed.includes(fix.replace) &&
      !readFileSync(unpatchedFile, 'utf8').includes(fix.replace),
  };
}

type Splitter = new () => Transform;
const splitter = withAndWithout<Splitter>(
  fromMailparser.resolve('@zone-eu/mailsplit/lib/message-splitter.js'),
);

/** Writes `input` to `stream` in pieces whose lengths `sizes` gives in turn, then ends it. */
function writeInPieces(stream: Transform, input: Buffer, sizes: number[]) {
  let at = 0;
  for (let n = 0; at < input.length; n++) {
    const size = sizes[n % sizes.length] ?? 1;
    stream.write(input.subarray(at, at + size));
    at += size;
  }
  stream.end();
}

/** What a splitter emits for `raw` written in pieces of `size`: each part's headers and bytes. */
async function split(Splitter: Splitter, raw: Buffer, size: number): Promise<string[]> {
  const instance = new Splitter();
  const out: string[] = [];
  instance.on('data', (d: { type: string; value?: Buffer; getHeaders?: () => Buffer }) => {
    if (d.type === 'node') out.push(`node ${d.getHeaders?.().toString('latin1')}`);
    else out.push(`${d.type} ${d.value?.toString('latin1')}`);
  });
  const done = new Promise((resolve, reject) => {
    instance.on('end', resolve).on('error', reject);
  });
  writeInPieces(instance, raw, [size]);
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

type Decoder = { Decoder: new () => Transform };
const base64 = withAndWithout<Decoder>(fromMailsplit.resolve('libbase64'));

/** What a decoder pushes for `text` written in pieces whose lengths `sizes` gives in turn. */
async function decode(lib: Decoder, text: Buffer, sizes: number[]): Promise<string[]> {
  const decoder = new lib.Decoder();
  const out: string[] = [];
  decoder.on('data', (piece: Buffer) => out.push(piece.toString('hex')));
  const done = new Promise((resolve, reject) => {
    decoder.on('end', resolve).on('error', reject);
  });
  writeInPieces(decoder, text, sizes);
  await done;
  return out;
}

/**
 * `size` random bytes, and their base64 as mail carries it, or garbled: lines of `width`
 * characters with line ends, and now and then one of the characters `junk`.
 */
function base64Body(next: () => number, size: number, width: number, junk: string) {
  const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(next() * 256)));
  const chars = [...bytes.toString('base64').replace(new RegExp(`.{${width}}`, 'g'), '$&\r\n')];
  for (let k = 0; junk && k < 1 + size / 200; k++) {
    chars.splice(
      Math.floor(next() * chars.length),
      0,
      junk[Math.floor(next() * junk.length)] ?? '',
    );
  }
  return { bytes, text: Buffer.from(chars.join(''), 'latin1') };
}

describe('patched dependencies', () => {
  it('are patched where the service loads them', () => {
    expect(PATCHES.length).toBeGreaterThan(0);
    for (const patch of PATCHES) expect(patchState(patch), patch.package).toBe('patched');
    expect(splitter.comparable).toBe(true);
    expect(base64.comparable).toBe(true);
  });

  const cases: [string, Buffer][] = [
    ...Object.entries(made).map(([name, text]): [string, Buffer] => [name, Buffer.from(text)]),
    ...files.map((f): [string, Buffer] => [path.basename(f), readFileSync(f)]),
  ];
  for (const [name, raw] of cases) {
    it(`splits ${name} as the library's own code does`, async () => {
      expect(splitter.comparable, 'the installed splitter carries the fix').toBe(true);
      for (const size of [1, 2, 77, 4096, 65536]) {
        if (size < 64 && raw.length > 100_000) continue; // a piece per byte of 300 KB: minutes
        const ours = await split(splitter.patched, raw, size);
        expect(ours.length).toBeGreaterThan(0);
        expect(ours, `pieces of ${size}`).toEqual(await split(splitter.unpatched, raw, size));
      }
    });
  }

  const bodies: [string, string][] = [
    ['clean lines', ''],
    ['spaces, tabs, form feeds, control and 8-bit bytes', ' \t\f\0\x01\x7f\xff\x80!.'],
    ["'-' and '_', which Node's decoder would read", '-_ '],
    ['padding in the middle', '=\r\n'],
  ];
  const widths = [76, 64, 75, 1, 3, 1000];
  const pieces = [[1], [2, 3], [5, 77], [4096], [65536], [701]];
  for (const [name, junk] of bodies) {
    it(`decodes base64 with ${name} as the library's own code does`, async () => {
      expect(base64.comparable, 'the installed decoder carries the fix').toBe(true);
      const next = seededRandom(junk.length + 7);
      for (let round = 0; round < 60; round++) {
        // Every tenth body is cut into several 64 KB pieces, characters carried between them.
        const big = round % 10 === 0;
        const size = big ? 150_000 + Math.floor(next() * 150_000) : Math.floor(next() * 3000);
        const width = widths[round % widths.length] ?? 76;
        const sizes = big
          ? [65536, 4093]
          : (pieces[Math.floor(round / widths.length) % pieces.length] ?? [1]);
        const { bytes, text } = base64Body(next, size, width, junk);
        const ours = await decode(base64.patched, text, sizes);
        const why = `round ${round}, lines of ${width}, pieces of ${sizes}`;
        expect(ours, why).toEqual(await decode(base64.unpatched, text, sizes));
        // Padding ends a segment; anything else that is not base64 is skipped.
        if (!junk.includes('=')) expect(ours.join(''), why).toBe(bytes.toString('hex'));
      }
    });
  }
});
