// Parsing never reaches out: a Word document whose picture is an external link and an HTML body
// full of remote images, scripts and styles are read without one request leaving the process.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { closeDocumentsWorker } from '../../src/documents/index.js';
import { validateMessage } from '../../src/validate.js';
import { PROJECT_ROOT } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

const profile = loadContest();
let server: http.Server;
let base: string;
const requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end('x');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await closeDocumentsWorker();
  await new Promise((r) => server.close(r));
});

/** The real form with a picture that is a link to our server (TargetMode="External"). */
async function docxWithExternalPicture(): Promise<Buffer> {
  const zip = await JSZip.loadAsync(readFileSync(`${PROJECT_ROOT}/fixtures/documents/form.docx`));
  const relsPath = 'word/_rels/document.xml.rels';
  const rels = (await zip.file(relsPath)?.async('string')) ?? '';
  zip.file(
    relsPath,
    rels.replace(
      '</Relationships>',
      `<Relationship Id="rIdRemote" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="${base}/docx-image.png" TargetMode="External"/></Relationships>`,
    ),
  );
  const doc = (await zip.file('word/document.xml')?.async('string')) ?? '';
  const picture = `<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:extent cx="100" cy="100"/><wp:docPr id="99" name="remote"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="99" name="remote"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:link="rIdRemote"/></pic:blipFill><pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`;
  zip.file('word/document.xml', doc.replace('</w:body>', `${picture}</w:body>`));
  return zip.generateAsync({ type: 'nodebuffer' });
}

describe('parsing fetches nothing', () => {
  it('reads a linked-picture .docx and a remote-resource HTML body with zero requests', async () => {
    const html = `<html><head><link rel="stylesheet" href="${base}/style.css"><script src="${base}/x.js"></script></head>
      <body style="background:url(${base}/bg.png)"><img src="${base}/pixel.gif"><iframe src="${base}/frame"></iframe>申报材料见附件</body></html>`;
    const raw = await makeMessage({
      subject: '示例银行+智能风控平台',
      html,
      attachments: [{ filename: '申报表.docx', content: await docxWithExternalPicture() }],
    });
    const { result } = await validateMessage(raw, new Date('2025-10-10T10:00:00+08:00'), profile);
    // The document was really read (its fields came out), so the picture link was seen.
    expect(result.form?.fields.caseName).toBeTruthy();
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toEqual([]);
  });
});
