// Downloads of files the pipeline did not keep: it stores only the raw message (every file is
// in it), and the dashboard writes a message's files out of it when one is first asked for.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveTime } from '../../src/intake/sources.js';
import { freePort } from '../../src/net.js';
import { createRig, type Rig, waitFor } from '../support/app.js';
import { basicAuth, CREDENTIALS, FIXTURES, type Populated, populate } from './populated.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('files written out on first use', () => {
  let p: Populated;
  let blobRoot: string;

  beforeAll(async () => {
    p = await populate({ only: ['accepted-zipped-gbk.eml', 'accepted-jpeg-scan.eml'] });
    blobRoot = path.resolve(p.app.blobs.path('0'.repeat(64)), '../../..');
  }, 240_000);
  afterAll(async () => {
    await p?.dispose();
  });

  const get = (url: string) =>
    fetch(`${p.baseUrl}${url}`, { headers: { authorization: basicAuth() } });
  const kept = (sha: string) => p.app.blobs.has(sha);

  /** Every attachment row, with the stored message it came in. */
  const files = () =>
    p.app.db.k
      .selectFrom('attachments')
      .innerJoin('submissions', 'submissions.id', 'attachments.submission_id')
      .innerJoin('messages', 'messages.id', 'submissions.message_row_id')
      .select([
        'attachments.id',
        'attachments.filename',
        'attachments.sha256',
        'attachments.bytes',
        'attachments.detected_type',
        'attachments.inside_archive',
        'messages.sha256 as message',
        'submissions.case_id',
      ])
      .execute();

  /**
   * The files of the zipped submission, and those of the one sent without an archive that are
   * not also in the zipped one (the two share a logo: one blob, by its hash).
   */
  async function byMessage() {
    const all = await files();
    const zippedMessage = all.find((f) => f.inside_archive !== null)?.message;
    const zipped = all.filter((f) => f.message === zippedMessage);
    const plainMessage = all.find((f) => f.message !== zippedMessage && f.detected_type === 'jpeg');
    const plain = all.filter(
      (f) => f.message === plainMessage?.message && !zipped.some((z) => z.sha256 === f.sha256),
    );
    return { zipped, plain };
  }

  it('keeps only the raw messages while filing', async () => {
    const names: string[] = [];
    for (const a of await readdir(blobRoot)) {
      if (a === 'tmp') continue;
      for (const b of await readdir(path.join(blobRoot, a)))
        names.push(...(await readdir(path.join(blobRoot, a, b))));
    }
    const messages = await p.app.db.k.selectFrom('messages').select('sha256').execute();
    expect(names.sort()).toEqual(messages.map((m) => m.sha256).sort());
    const all = await files();
    expect(all.length).toBeGreaterThan(8);
    for (const f of all) expect(await kept(f.sha256), f.filename).toBe(false);
  });

  it('writes out the message of a file asked for, archive entries too, and serves its bytes', async () => {
    const { zipped, plain } = await byMessage();
    const entry = zipped.find((f) => f.detected_type === 'docx' && f.inside_archive !== null);
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(plain.length).toBeGreaterThan(0);

    const res = await get(`/files/${entry.id}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(entry.bytes);
    expect(sha256(body)).toBe(entry.sha256);
    for (const f of zipped) expect(await kept(f.sha256), f.filename).toBe(true);
    for (const f of plain) expect(await kept(f.sha256), f.filename).toBe(false);
  });

  it('shows an image inline from a message not yet written out, asked for twice at once', async () => {
    const { plain } = await byMessage();
    const scan = plain.find((f) => f.detected_type === 'jpeg');
    expect(scan).toBeDefined();
    if (!scan) return;
    expect(await kept(scan.sha256)).toBe(false);
    const [view, download] = await Promise.all([
      get(`/files/${scan.id}/view`),
      get(`/files/${scan.id}`),
    ]);
    expect([view.status, download.status]).toEqual([200, 200]);
    expect(view.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(Buffer.from(await view.arrayBuffer()))).toBe(scan.sha256);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(scan.sha256);
    for (const f of plain) expect(await kept(f.sha256), f.filename).toBe(true);
    expect(await readdir(path.join(blobRoot, 'tmp'))).toEqual([]);
  });

  it('answers 500 while a file cannot be written (not 404: the file is not lost), then serves it', async () => {
    const { zipped } = await byMessage();
    const [file] = zipped;
    expect(file).toBeDefined();
    if (!file) return;
    await rm(p.app.blobs.path(file.sha256));
    // The store's temp folder replaced by a file: every write fails, as on a broken volume.
    const tmp = path.join(blobRoot, 'tmp');
    await rm(tmp, { recursive: true });
    await writeFile(tmp, '');
    try {
      expect((await get(`/files/${file.id}`)).status).toBe(500);
      expect(await kept(file.sha256)).toBe(false);
    } finally {
      await rm(tmp);
      await mkdir(tmp);
    }
    const res = await get(`/files/${file.id}`);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(file.sha256);
  });

  it('answers 404 for a file whose message is gone, and still shows its case', async () => {
    const { plain } = await byMessage();
    const [file] = plain;
    expect(file).toBeDefined();
    if (!file) return;
    for (const f of plain) await rm(p.app.blobs.path(f.sha256), { force: true });
    await rm(p.app.blobs.path(file.message));
    expect((await get(`/files/${file.id}`)).status).toBe(404);
    expect((await get(`/cases/${file.case_id}`)).status).toBe(200);
  });
});

describe('the web role on its own (intake web)', () => {
  let rig: Rig | undefined;
  afterAll(async () => {
    await rig?.dispose();
  });

  it('writes out and serves a file on an evaluation thread of its own', async () => {
    const port = await freePort();
    rig = await createRig('sqlite', {
      WEB_HOST: '127.0.0.1',
      WEB_PORT: String(port),
      ADMIN_USER: CREDENTIALS.user,
      ADMIN_PASSWORD: CREDENTIALS.password,
    });
    const worker = await rig.app({ roles: ['worker'] });
    await worker.start();
    const raw = await readFile(path.join(FIXTURES, 'accepted-jpeg-scan.eml'));
    const { receivedAt, receivedAtSource } = await receiveTime(raw, new Date());
    await worker.ingest({ raw, source: 'import', mailbox: 'import', receivedAt, receivedAtSource });
    const logo = () =>
      worker.db.k
        .selectFrom('attachments')
        .select(['id', 'sha256'])
        .where('detected_type', '=', 'jpeg')
        .executeTakeFirst();
    await waitFor('the message filed', async () => (await logo()) !== undefined, 120_000);
    const file = await logo();
    if (!file) throw new Error('no file');
    expect(await worker.blobs.has(file.sha256)).toBe(false);

    const web = await rig.app({ roles: ['web'] });
    await web.start();
    const res = await fetch(`http://127.0.0.1:${port}/files/${file.id}`, {
      headers: { authorization: basicAuth() },
    });
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(file.sha256);
    expect(await web.blobs.has(file.sha256)).toBe(true);
  }, 180_000);
});
