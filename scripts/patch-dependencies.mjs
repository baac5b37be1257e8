// Local fixes to installed dependencies, applied after every install (package.json's
// `postinstall`) until their maintainers ship them. Each is an exact replacement in one file of
// one version. A version that differs, or a file whose text has changed, is left as it is, with a
// warning: the fix may have landed upstream, or may need redoing. `npm test` checks that every
// fix is in place (test/mail/patched-dependencies.test.ts), so a dependency update cannot drop one
// unnoticed.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');

export const PATCHES = [
  {
    // The splitter looked for each line end one byte at a time in JavaScript, through variables
    // its closures share: ~15 ms of the evaluation thread's CPU for a 5 MB message, a tenth of
    // the validation core's (docs/performance.md, "line ends"). Buffer#indexOf finds the same
    // byte natively; every line is then handled as before.
    package: '@zone-eu/mailsplit',
    without: 'it works unpatched, only slower',
    version: '5.4.30',
    file: 'lib/message-splitter.js',
    find: `                if (chunk[i] !== 0x0a) {
                    i++;
                    continue;
                }
`,
    replace: `                if (chunk[i] !== 0x0a) {
                    // patched by case-intake (scripts/patch-dependencies.mjs)
                    let lf = chunk.indexOf(0x0a, i);
                    if (lf < 0) {
                        i = chunk.length;
                        break;
                    }
                    i = lf;
                }
`,
  },
  {
    // The base64 decoder took every character that is not base64 (the line breaks, mostly) out
    // of each 64 KB piece with a regular expression, then looked for padding from the piece's end
    // back to its start: ~14 ms of the evaluation thread's time for a 5 MB message at full load,
    // where Node decodes the same text in ~4 (docs/performance.md, "base64"). Node's decoder
    // skips what is not base64 by itself (quickly when that is only line breaks), so a piece
    // without padding and without the two characters Node also reads ('-', '_', which the
    // expression drops) is decoded as it is. Only an unfinished quartet at its end is held back,
    // as before: how many characters it has follows from the decoded length (0, 2 or 3
    // characters over decode to 0, 1 or 2 bytes), and for a lone one, which decodes to nothing,
    // from a decode with two characters more (three then make two bytes, two make one).
    package: 'libbase64',
    without: 'it works unpatched, only slower',
    version: '1.4.1',
    file: 'dist/cjs/libbase64.js',
    find: `        let b64 = this._curLine + chunk.toString('latin1');
        this._curLine = '';
`,
    replace: `        let b64 = this._curLine + chunk.toString('latin1');
        this._curLine = '';
        // patched by case-intake (scripts/patch-dependencies.mjs)
        if (b64.indexOf('=') < 0 && b64.indexOf('-') < 0 && b64.indexOf('_') < 0) {
            let buf = node_buffer_1.Buffer.from(b64, 'base64');
            let over = [0, 2, 3][buf.length % 3];
            if (over === 0 && node_buffer_1.Buffer.from(b64 + 'AA', 'base64').length > buf.length + 1) {
                over = 1;
            }
            if (over > 1) {
                buf = buf.subarray(0, buf.length - (over - 1));
            }
            for (let i = b64.length - 1; this._curLine.length < over; i--) {
                if (/[a-zA-Z0-9+/]/.test(b64[i])) {
                    this._curLine = b64[i] + this._curLine;
                }
            }
            if (buf.length) {
                this.outputBytes += buf.length;
                this.push(buf);
            }
            return done();
        }
`,
  },
  // pdf.js decodes a stream into one buffer outside the V8 heap, so the documents worker's memory
  // cap never saw it: a 1 MB PDF whose page content inflates to 1 GB took 1.8 GB of memory, and
  // a 20 MB one would take the machine's. A decoded stream may not pass the cap the worker sets
  // (documents-worker.mjs); one that would is refused and counted, and pdf-text.mjs reports it.
  {
    package: 'pdfjs-dist',
    version: '5.4.296',
    without:
      'a PDF whose streams inflate past the memory cap is read, however much memory it takes',
    file: 'legacy/build/pdf.worker.mjs',
    find: `  ensureBuffer(requested) {
    const buffer = this.buffer;
    if (requested <= buffer.byteLength) {
      return buffer;
    }
`,
    replace: `  ensureBuffer(requested) {
    const buffer = this.buffer;
    if (requested <= buffer.byteLength) {
      return buffer;
    }
    // patched by case-intake (scripts/patch-dependencies.mjs)
    if (requested > (globalThis.caseIntakeMaxDecodedBytes ?? Infinity)) {
      globalThis.caseIntakeDecodeRefusals = (globalThis.caseIntakeDecodeRefusals ?? 0) + 1;
      throw new Error("decoded stream over the documents worker's memory cap");
    }
`,
  },
  {
    // The native inflate of an image's whole stream: past the cap it gives up, and pdf.js reads
    // the image the other way, only as many bytes as its pixels need (ensureBuffer above).
    package: 'pdfjs-dist',
    version: '5.4.296',
    without: 'an image stream is inflated whole, however large',
    file: 'legacy/build/pdf.worker.mjs',
    find: `        chunks.push(chunk);
        totalLength += chunk.byteLength;
      }
`,
    replace: `        chunks.push(chunk);
        totalLength += chunk.byteLength;
        // patched by case-intake (scripts/patch-dependencies.mjs)
        if (totalLength > (globalThis.caseIntakeMaxDecodedBytes ?? Infinity)) {
          throw new Error("inflated image stream over the documents worker's memory cap");
        }
      }
`,
  },
];

/** Where a fix stands: 'patched', 'unpatched' (the text it replaces is there, once), or why neither. */
export function patchState(patch, root = ROOT) {
  const dir = path.join(root, 'node_modules', patch.package);
  let version;
  try {
    version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
  if (version !== patch.version) return `version ${version}, the fix is for ${patch.version}`;
  let text;
  try {
    text = readFileSync(path.join(dir, patch.file), 'utf8');
  } catch {
    return `${patch.file} is missing`;
  }
  if (text.includes(patch.replace)) return 'patched';
  const at = text.indexOf(patch.find);
  return at >= 0 && text.indexOf(patch.find, at + 1) < 0
    ? 'unpatched'
    : `${patch.file} has changed`;
}

if (process.argv[1] && realpathSync(process.argv[1]) === SELF) {
  for (const patch of PATCHES) {
    const state = patchState(patch);
    if (state === 'unpatched') {
      const file = path.join(ROOT, 'node_modules', patch.package, patch.file);
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(patch.find, () => patch.replace),
      );
    } else if (state !== 'patched') {
      process.stderr.write(
        `patch-dependencies: ${patch.package}/${patch.file} not patched (${state}); ` +
          `${patch.without}: check whether the fix is still needed\n`,
      );
    }
  }
}
