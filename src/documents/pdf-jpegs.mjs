// The JPEG pages of a scanned PDF, as stored in the file: each image XObject with a lone
// /DCTDecode filter is a complete JPEG between `stream` and `endstream`. For a PDF whose pages
// are all image-only, the seal check needs only a ~300 px copy of a page; sharp gets that from
// the JPEG with shrink-on-load, where rendering the page through pdf.js decodes every pixel of
// a 300 dpi A4 scan in JavaScript (about 2 s and 250 MB a page). Plain .mjs: the documents
// worker thread imports it without a TypeScript loader.

const DCT = Buffer.from('/DCTDecode');
const STREAM = Buffer.from('stream');
const END_STREAM = Buffer.from('endstream');
const OBJ = Buffer.from(' obj');
const JPEG_SOI = [0xff, 0xd8];
// How far around `/DCTDecode` an image dictionary is looked for (they are a few hundred bytes).
const DICT_WINDOW = 2048;

/**
 * The first and the last embedded JPEG images (byte order, which is page order in scanner
 * output), at most `limit` found; [] when there is none, and the caller renders instead.
 */
export function firstAndLastJpegs(pdf, limit = 10_000) {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const found = [];
  let from = 0;
  while (found.length < limit) {
    const at = buf.indexOf(DCT, from);
    if (at < 0) break;
    from = at + DCT.length;
    const jpeg = streamAfter(buf, at);
    if (jpeg) {
      found.push(jpeg);
      from = jpeg.byteOffset - buf.byteOffset + jpeg.length;
    }
  }
  if (found.length <= 2) return found;
  return [found[0], found[found.length - 1]];
}

function streamAfter(buf, at) {
  const objStart = buf.lastIndexOf(OBJ, at);
  if (objStart < 0 || at - objStart > DICT_WINDOW) return null;
  const start = buf.indexOf(STREAM, at);
  if (start < 0 || start - at > DICT_WINDOW) return null;
  const dict = buf.subarray(objStart, start).toString('latin1');
  // Only a lone DCT filter: a chain (/FlateDecode /DCTDecode) is not plain JPEG bytes.
  if (!/\/Subtype\s*\/Image/.test(dict) || /\/Filter\s*\[[^\]]*\/\w+[^\]]*\/\w+/.test(dict))
    return null;
  let dataStart = start + STREAM.length;
  if (buf[dataStart] === 0x0d) dataStart++;
  if (buf[dataStart] === 0x0a) dataStart++;
  if (buf[dataStart] !== JPEG_SOI[0] || buf[dataStart + 1] !== JPEG_SOI[1]) return null;
  // A direct /Length saves scanning megabytes of image data for `endstream`.
  const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
  let end = length ? dataStart + Number(length[1]) : -1;
  if (end < 0 || end > buf.length) end = buf.indexOf(END_STREAM, dataStart);
  if (end < 0) return null;
  // The line end before `endstream` is not part of the data.
  while (end > dataStart && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
  return buf.subarray(dataStart, end);
}
