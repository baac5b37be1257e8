// The hostile corpus (issue 6): each case builds one .eml that otherwise looks like a
// submission (an `org+title` subject, a polite body) carrying one hostile thing. Small cases are
// committed under fixtures/hostile/; `large` ones (a 1 GB zip bomb, a 50 MB attachment, a 200 MB
// document.xml) are built at test time into a temp folder.
import { readFileSync } from 'node:fs';
import { encryptedDocx } from './cfb.js';
import { brokenBoundaryMessage, type Envelope, message, nestedMessage, type Part } from './eml.js';
import { jpegBomb, pngBomb } from './images.js';
import { loopingPdf, millionPagesPdf } from './pdf.js';
import { readZipParts } from './read-zip.js';
import { makeZip, repeated } from './zip.js';

export interface HostileCase {
  /** File name under fixtures/hostile/ (or the temp folder when `large`). */
  file: string;
  /** One line for the README: what it is. */
  what: string;
  large?: boolean;
  build(): Promise<Buffer>;
}

const ROOT = new URL('../..', import.meta.url).pathname;
const doc = (name: string) => readFileSync(`${ROOT}fixtures/documents/${name}`);

const MIB = 1024 * 1024;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const form = (): Part => ({
  filename: '申报表.docx',
  contentType: DOCX,
  content: doc('form.docx'),
});

function env(id: string, org: string): Envelope {
  return { id, org, title: '基于大模型的智能风控平台建设实践' };
}

/** A zip of zips, `levels` deep, `fan` copies per level, `MiB` of zeros at the bottom. */
async function nestedBomb(levels: number, fan: number, mib: number): Promise<Buffer> {
  let inner = await makeZip([
    { name: '案例报告.txt', data: () => repeated(Buffer.alloc(1), mib * MIB) },
  ]);
  for (let level = 1; level < levels; level++) {
    const data = inner;
    inner = await makeZip(
      Array.from({ length: fan }, (_, i) => ({ name: `材料${level}-${i + 1}.zip`, data })),
    );
  }
  return inner;
}

/** A .docx whose document.xml inflates to `mib` MiB of paragraphs (compressed ~1000:1). */
export async function hugeXmlDocx(mib: number): Promise<Buffer> {
  const form = doc('form.docx');
  const parts = readZipParts(form);
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const head = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>`,
  );
  const tail = Buffer.from('</w:body></w:document>');
  const para = Buffer.from('<w:p><w:r><w:t>案例报告正文，金融科技赋能风险管理。</w:t></w:r></w:p>');
  const fill = mib * MIB - head.length - tail.length;
  return makeZip(
    parts.map((p) =>
      p.name === 'word/document.xml'
        ? { name: p.name, data: () => [head, ...repeated(para, fill - (fill % para.length)), tail] }
        : { name: p.name, data: p.data },
    ),
  );
}

/** The paths a careless unzipper would write outside its folder, and names made to hurt. */
function dangerousNames(): string[] {
  return [
    '../../../../etc/cron.d/申报表.docx',
    '/etc/passwd',
    'C:\\Windows\\System32\\商标.jpg',
    '材料\\..\\..\\证明.pdf',
    '申报表\u0000.exe.docx',
    '商标\u0007\u001b[31m\u202e gpj.exe',
    `${'很长的文件名'.repeat(83)}.docx`,
  ];
}

export const CASES: HostileCase[] = [
  {
    file: 'zip-bomb-flat.eml',
    what: 'zip bomb, flat: one entry of 1 GiB of zeros deflated to ~1 MB (ratio ~1000:1)',
    large: true,
    build: async () =>
      message(env('zip-bomb-flat', '鼎盛证券股份有限公司'), [
        {
          filename: '申报材料.zip',
          contentType: 'application/zip',
          content: await makeZip([
            { name: '案例报告.docx', data: () => repeated(Buffer.alloc(1), 1024 * MIB) },
          ]),
        },
      ]),
  },
  {
    file: 'zip-bomb-nested.eml',
    what: 'zip bomb, nested: 4 levels of zips, 10 copies each, 16 MiB of zeros at the bottom (16 GiB in all)',
    build: async () =>
      message(env('zip-bomb-nested', '汇通银行股份有限公司'), [
        {
          filename: '申报材料.zip',
          contentType: 'application/zip',
          content: await nestedBomb(4, 10, 16),
        },
      ]),
  },
  {
    file: 'image-bomb-png.eml',
    what: 'decompression-bomb image: a PNG scan declaring 30000×30000 px (2.7 GB decoded)',
    build: async () =>
      message(env('image-bomb-png', '星辰保险有限公司'), [
        form(),
        { filename: '盖章扫描件.png', contentType: 'image/png', content: pngBomb() },
      ]),
  },
  {
    file: 'image-bomb-jpeg.eml',
    what: 'decompression-bomb image: a JPEG logo whose frame header declares 30000×30000 px',
    build: async () =>
      message(env('image-bomb-jpeg', '远航信托有限责任公司'), [
        form(),
        { filename: '商标.jpg', contentType: 'image/jpeg', content: jpegBomb(doc('logo.jpg')) },
      ]),
  },
  {
    file: 'attachment-50mb.eml',
    what: 'a 50 MiB + 1 KiB PDF attachment (over limits.maxAttachmentBytes), 68 MB of base64',
    large: true,
    build: async () => {
      const big = Buffer.alloc(50 * MIB + 1024, 0x20);
      Buffer.from('%PDF-1.4\n').copy(big);
      return message(env('attachment-50mb', '海纳金融科技有限公司'), [
        form(),
        { filename: '案例报告.pdf', contentType: 'application/pdf', content: big },
      ]);
    },
  },
  {
    file: 'attachments-1000.eml',
    what: "1,000 attachments in one message (small text files), one past mailparser's part cap",
    build: async () =>
      message(env('attachments-1000', '恒远资产管理有限公司'), [
        form(),
        ...Array.from({ length: 999 }, (_, i) => ({
          filename: `证明材料-${String(i + 1).padStart(4, '0')}.txt`,
          contentType: 'text/plain',
          content: Buffer.from(`证明 ${i + 1}`),
        })),
      ]),
  },
  {
    file: 'mime-nested-100.eml',
    what: 'MIME nested 100 deep: multipart/mixed inside multipart/mixed, the form at the bottom',
    build: async () => nestedMessage(env('mime-nested-100', '澄明期货有限公司'), 100, [form()]),
  },
  {
    file: 'broken-boundaries.eml',
    what: 'broken boundaries: a part under an undeclared boundary, a part cut off mid-base64, no closing delimiter',
    build: async () =>
      brokenBoundaryMessage(env('broken-boundaries', '青禾消费金融有限公司'), [
        form(),
        { filename: '商标.jpg', contentType: 'image/jpeg', content: doc('logo.jpg') },
        {
          filename: '盖章扫描件.pdf',
          contentType: 'application/pdf',
          content: doc('scan-seal.pdf'),
        },
      ]),
  },
  {
    file: 'pdf-loop.eml',
    what: 'a PDF whose page tree lists itself as a kid and whose outline items point at each other',
    build: async () =>
      message(env('pdf-loop', '广源农村商业银行'), [
        form(),
        { filename: '案例报告.pdf', contentType: 'application/pdf', content: loopingPdf() },
      ]),
  },
  {
    file: 'pdf-million-pages.eml',
    what: 'a PDF that really has 1,000,000 pages (a 1000 × 1000 fan-out to one page object), 12 KB',
    build: async () =>
      message(env('pdf-million-pages', '同德支付科技有限公司'), [
        form(),
        { filename: '案例报告.pdf', contentType: 'application/pdf', content: millionPagesPdf() },
      ]),
  },
  {
    file: 'docx-huge-xml.eml',
    what: 'a .docx whose word/document.xml inflates to 200 MiB (compressed ~1000:1)',
    large: true,
    build: async () =>
      message(env('docx-huge-xml', '金桥融资租赁有限公司'), [
        form(),
        { filename: '案例报告.docx', contentType: DOCX, content: await hugeXmlDocx(200) },
      ]),
  },
  {
    file: 'dangerous-names.eml',
    what: 'file names with ../, absolute paths, control characters, a right-to-left override and 500 characters, as attachments and as zip entries',
    build: async () => {
      const names = dangerousNames();
      const zip = await makeZip(names.map((name) => ({ name, data: Buffer.from('x') })));
      return message(env('dangerous-names', '银河数字金融研究院'), [
        ...names.map((filename) => ({
          filename,
          contentType: 'application/octet-stream',
          content: doc('form.docx'),
        })),
        { filename: '申报材料.zip', contentType: 'application/zip', content: zip },
      ]);
    },
  },
  {
    file: 'encrypted-docx.eml',
    what: 'a password-protected .docx (OLE container with EncryptionInfo + EncryptedPackage)',
    build: async () =>
      message(env('encrypted-docx', '瑞丰村镇银行'), [
        { filename: '申报表.docx', contentType: DOCX, content: encryptedDocx() },
      ]),
  },
  {
    file: 'encrypted-doc.eml',
    what: 'the form as a Word 97 .doc with an open password (LibreOffice, fixtures/documents/encrypted.doc)',
    build: async () =>
      message(env('encrypted-doc', '瑞丰村镇银行'), [
        {
          filename: '申报表.doc',
          contentType: 'application/msword',
          content: doc('encrypted.doc'),
        },
      ]),
  },
  {
    file: 'encrypted-pdf.eml',
    what: 'a PDF with an open password (LibreOffice export, fixtures/documents/encrypted.pdf)',
    build: async () =>
      message(env('encrypted-pdf', '北辰证券有限责任公司'), [
        form(),
        {
          filename: '盖章扫描件.pdf',
          contentType: 'application/pdf',
          content: doc('encrypted.pdf'),
        },
      ]),
  },
  {
    file: 'docm.eml',
    what: 'the form as a macro-enabled Word document (.docm)',
    build: async () =>
      message(env('docm', '嘉实数科有限公司'), [
        {
          filename: '申报表.docm',
          contentType: 'application/vnd.ms-word.document.macroEnabled.12',
          content: doc('macro.docm'),
        },
      ]),
  },
  {
    file: 'exe-as-jpg.eml',
    what: 'a Windows executable (MZ/PE) named 商标.jpg and declared image/jpeg',
    build: async () =>
      message(env('exe-as-jpg', '华夏智投科技有限公司'), [
        form(),
        { filename: '商标.jpg', contentType: 'image/jpeg', content: doc('exe-named.jpg') },
      ]),
  },
];
