// Hand-built hostile PDFs with a correct xref table, so a reader gets past the syntax and has
// to deal with the structure: a page tree that contains itself, a tree that really holds a
// million pages (one page object referenced through a 1000 × 1000 fan-out), and a page that is
// one picture of any size (a few hundred KB of deflated pixels can be gigabytes decoded).
import { deflateSync } from 'node:zlib';

function pdf(objects: string[]): Buffer {
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const stream = (content: string) =>
  `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
const TEXT = stream('BT /F1 24 Tf 72 700 Td (Case report page) Tj ET');
const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/** Pages node 2 lists itself among its kids; outline items point at each other forever. */
export function loopingPdf(): Buffer {
  return pdf([
    '<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>',
    '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    TEXT,
    FONT,
    '<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 2 >>',
    '<< /Title (loop) /Parent 6 0 R /Next 8 0 R /Prev 8 0 R /First 7 0 R >>',
    '<< /Title (loop) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /First 8 0 R >>',
  ]);
}

/** A page tree of 1000 × 1000 pages that is 20 KB on disk: every leaf is the same page. */
export function millionPagesPdf(): Buffer {
  const fan = (ref: string) => Array.from({ length: 1000 }, () => ref).join(' ');
  return pdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${fan('3 0 R')}] /Count 1000000 >>`,
    `<< /Type /Pages /Parent 2 0 R /Kids [${fan('4 0 R')}] /Count 1000 >>`,
    '<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>',
    TEXT,
    FONT,
  ]);
}

/** One A4 page filled by a width × height picture of one RGB colour, deflated. */
export function imagePdf(width: number, height: number, rgb: [number, number, number]): Buffer {
  const row = Buffer.alloc(width * 3);
  for (let i = 0; i < row.length; i += 3) row.set(rgb, i);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), {
    level: 9,
  }).toString('latin1');
  return pdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>',
    stream('q 595 0 0 842 0 0 cm /Im1 Do Q'),
    `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${pixels.length} >>\nstream\n${pixels}\nendstream`,
  ]);
}
