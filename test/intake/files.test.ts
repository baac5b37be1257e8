// Messages that arrive as files: the drop folder and `intake import` (a folder, a Maildir, an
// mbox). Each message is stored once, however often it is seen.
import { execFile } from 'node:child_process';
import { appendFile, mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDropFolder } from '../../src/intake/drop-folder.js';
import type { Ingest } from '../../src/intake/ingest.js';
import { fromPath } from '../../src/intake/sources.js';
import { createLogger } from '../../src/log.js';
import { sql } from '../../src/store/kysely.js';
import { createRig, PROJECT_ROOT, type Rig } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

const run = promisify(execFile);

async function messageCount(rig: Rig, source: string): Promise<number> {
  const r = await sql<{
    n: number | string;
  }>`select count(*) as n from messages where source = ${source}`.execute(rig.store.db.k);
  return Number(r.rows[0]?.n);
}

describe('drop folder and import', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await createRig('sqlite');
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('ingests each dropped .eml once, with the Received: date, and moves it to .done', async () => {
    const app = await rig.app();
    const inbox = path.join(rig.dataDir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const received = new Date('2025-10-19T08:30:00Z');
    const raw = await makeMessage({ receivedAt: received });
    await writeFile(path.join(inbox, 'a.eml'), raw);
    await writeFile(path.join(inbox, 'b.eml'), await makeMessage());
    await writeFile(path.join(inbox, 'notes.txt'), 'not mail');
    const drop = createDropFolder({ dir: inbox, ingest: app.ingest, log: createLogger('silent') });
    await mkdir(path.join(inbox, '.done'), { recursive: true });
    // Files just written are left for a second scan (they might still be growing).
    expect(await drop.scan()).toBe(0);
    expect(await drop.scan()).toBe(2);
    expect((await readdir(inbox)).sort()).toEqual(['.done', 'notes.txt']);
    expect((await readdir(path.join(inbox, '.done'))).sort()).toEqual(['a.eml', 'b.eml']);

    // A copy that keeps an old mtime while it is written is not taken for a finished file.
    const copy = path.join(inbox, 'c.eml');
    const long = await makeMessage();
    const old = new Date('2025-10-01T00:00:00Z');
    await writeFile(copy, long.subarray(0, 100));
    await utimes(copy, old, old);
    expect(await drop.scan()).toBe(0);
    await appendFile(copy, long.subarray(100));
    await utimes(copy, old, old);
    expect(await drop.scan()).toBe(0); // grown since the last scan
    expect(await drop.scan()).toBe(1);
    expect(await messageCount(rig, 'drop')).toBe(3);

    // The same bytes dropped again are recognised, not stored twice.
    await writeFile(path.join(inbox, 'a-again.eml'), raw);
    await drop.scan();
    await drop.scan();
    expect(await messageCount(rig, 'drop')).toBe(3);
    const row = await sql<{ received_at: string; received_at_source: string }>`
      select received_at, received_at_source from messages where original_name = 'a.eml'`.execute(
      rig.store.db.k,
    );
    expect(new Date(row.rows[0]?.received_at ?? '').toISOString()).toBe(received.toISOString());
    expect(row.rows[0]?.received_at_source).toBe('received-header');
  });

  it('takes files whose names are GBK (a Windows zip unpacked), and leaves an empty one be', async () => {
    const app = await rig.app();
    const inbox = path.join(rig.dataDir, 'inbox');
    const folder = path.join(rig.dataDir, 'unzipped', '申报');
    await mkdir(path.join(inbox, '.done'), { recursive: true });
    await mkdir(folder, { recursive: true });
    // 申报材料.eml in GBK: listed as UTF-8 text, this name has U+FFFD in it and opens nothing.
    const gbk = Buffer.from('c9eab1a8b2c4c1cf2e656d6c', 'hex');
    const at = (dir: string) => Buffer.concat([Buffer.from(`${dir}/`), gbk]);
    await writeFile(at(inbox), await makeMessage());
    await writeFile(at(folder), await makeMessage());
    // And a GBK folder (附件) holding a UTF-8 name.
    const gbkFolder = Buffer.concat([
      Buffer.from(`${path.dirname(folder)}/`),
      Buffer.from('b8bdbcfe', 'hex'),
    ]);
    await mkdir(gbkFolder);
    await writeFile(Buffer.concat([gbkFolder, Buffer.from('/材料.eml')]), await makeMessage());
    await writeFile(path.join(inbox, 'empty.eml'), ''); // created, not written yet

    const drop = createDropFolder({ dir: inbox, ingest: app.ingest, log: createLogger('silent') });
    await drop.scan();
    expect(await drop.scan()).toBe(1);
    expect(await readdir(path.join(inbox, '.done'))).toEqual(['申报材料.eml']);
    expect(await readdir(inbox)).toEqual(expect.arrayContaining(['empty.eml']));
    expect(await drop.scan()).toBe(0); // still empty: still waiting

    const imported = [];
    for await (const m of fromPath(path.dirname(folder))) imported.push(m);
    // In the order of the names' bytes: GBK's 附 (B8) before UTF-8's 申 (E7).
    expect(imported.map((m) => m.name)).toEqual([
      path.join(path.dirname(folder), '附件', '材料.eml'),
      path.join(folder, '申报材料.eml'),
    ]);
    const names = await sql<{ original_name: string }>`
      select original_name from messages where source = 'drop'`.execute(rig.store.db.k);
    expect(names.rows).toEqual([{ original_name: '申报材料.eml' }]);
  });

  it('tries a file that fails to go in after longer and longer waits, and at once when it changes', async () => {
    const app = await rig.app();
    const inbox = path.join(rig.dataDir, 'inbox');
    await mkdir(path.join(inbox, '.done'), { recursive: true });
    const file = path.join(inbox, 'a.eml');
    await writeFile(file, await makeMessage());
    let tries = 0;
    let failing = true;
    const ingest: Ingest = async (input) => {
      tries++;
      if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return app.ingest(input);
    };
    const drop = createDropFolder({
      dir: inbox,
      ingest,
      log: createLogger('silent'),
      intervalMs: 50,
    });
    await drop.scan(); // first sight: left to settle
    for (let i = 0; i < 40; i++) {
      await drop.scan();
      await sleep(25);
    }
    // Tried again after 100, 200, 400, 800 ms…: a few tries in the scans' second or so, not 40.
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(7);

    failing = false;
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later); // changed: settles, then goes in without the wait
    expect(await drop.scan()).toBe(0);
    expect(await drop.scan()).toBe(1);
    expect(await messageCount(rig, 'drop')).toBe(1);
  });

  it('reads an .eml saved with an mbox From line as one message, whatever its body says', async () => {
    const dir = path.join(rig.dataDir, 'saved');
    await mkdir(dir, { recursive: true });
    const message = await makeMessage();
    const body = Buffer.from(
      message.toString('latin1').replace('\r\n\r\n', '\r\n\r\nFrom the desk of 申报人\r\n'),
      'latin1',
    );
    const file = path.join(dir, 'saved.eml');
    await writeFile(
      file,
      Buffer.concat([Buffer.from('From - Tue Oct 21 10:00:00 2025\r\n'), body]),
    );
    const read = [];
    for await (const m of fromPath(file)) read.push(m);
    expect(read).toHaveLength(1);
    expect(read[0]?.raw.equals(body)).toBe(true);
  });

  it('reads a folder, a Maildir and an mbox, and `intake import` stores each message once', async () => {
    const root = path.join(rig.dataDir, 'backfill');
    const folder = path.join(root, 'folder');
    const maildir = path.join(root, 'Maildir');
    await mkdir(folder, { recursive: true });
    for (const d of ['cur', 'new', 'tmp']) await mkdir(path.join(maildir, d), { recursive: true });
    const messages = await Promise.all(Array.from({ length: 7 }, () => makeMessage()));
    await writeFile(path.join(folder, '1.eml'), messages[0] as Buffer);
    await writeFile(path.join(folder, '2.eml'), messages[1] as Buffer);
    await writeFile(path.join(maildir, 'cur', '1700000000.M1P1.host:2,S'), messages[2] as Buffer);
    await writeFile(path.join(maildir, 'new', '1700000001.M2P1.host'), messages[3] as Buffer);
    await writeFile(path.join(maildir, 'tmp', '1700000002.M3P1.host'), await makeMessage()); // not delivered yet
    // mboxrd: a body line starting with "From " is escaped as ">From ".
    const escaped = Buffer.from(
      (messages[6] as Buffer)
        .toString('latin1')
        .replace('\r\n\r\n', '\r\n\r\nFrom the desk of 申报人\r\n'),
      'latin1',
    );
    const mbox = [messages[4], messages[5], escaped]
      .map(
        (m) =>
          `From applicant@example.com Sat Oct 18 09:00:00 2025\n${(m as Buffer).toString('latin1').replace(/^From /gm, '>From ')}\n`,
      )
      .join('');
    const mboxFile = path.join(root, 'archive.mbox');
    await writeFile(mboxFile, Buffer.from(mbox, 'latin1'));

    const fromMbox = [];
    for await (const m of fromPath(mboxFile)) fromMbox.push(m);
    expect(fromMbox).toHaveLength(3);
    expect(fromMbox[2]?.raw.toString('latin1')).toContain('\r\nFrom the desk of');
    // Byte for byte the message as sent, so a copy that also came by IMAP is a duplicate.
    expect(fromMbox[0]?.raw.equals(messages[4] as Buffer)).toBe(true);

    const cli = (args: string[]) =>
      run(process.execPath, ['src/bin.mjs', 'import', ...args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...rig.vars },
      });
    const first = await cli([folder, maildir, mboxFile]);
    expect(first.stdout).toContain('imported 7 new message(s); 0 were already stored');
    const again = await cli([root]);
    expect(again.stdout).toContain('imported 0 new message(s); 7 were already stored');
    expect(await messageCount(rig, 'import')).toBe(7);
  });

  it('`intake import` names what it cannot read, imports the rest and exits 1', async () => {
    const folder = path.join(rig.dataDir, 'partly');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, '1.eml'), await makeMessage());
    await symlink(path.join(folder, 'gone.eml'), path.join(folder, '2.eml')); // dangling
    await writeFile(path.join(folder, '3.eml'), await makeMessage());
    const missing = path.join(rig.dataDir, 'no-such-folder');
    const failed = await run(process.execPath, ['src/bin.mjs', 'import', folder, missing], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...rig.vars },
    }).then(
      () => null,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain(
      'imported 2 new message(s); 0 were already stored; 2 could not be read',
    );
    expect(failed?.stderr).toMatch(/skipped .*partly\/2\.eml: ENOENT/);
    expect(failed?.stderr).toMatch(/skipped .*no-such-folder: ENOENT/);
    expect(failed?.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(await messageCount(rig, 'import')).toBe(2);

    // The service's own storage failing is not the folder's fault: it ends the import, in a line.
    const broken = path.join(rig.dataDir, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'blobs'), 'not a folder');
    await writeFile(path.join(folder, '4.eml'), await makeMessage());
    const ended = await run(process.execPath, ['src/bin.mjs', 'import', folder], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...rig.vars, DATA_DIR: broken },
    }).then(
      () => null,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(ended?.code).toBe(1);
    expect(ended?.stderr).not.toContain('skipped');
    expect(ended?.stderr).toMatch(/^intake: .*blobs/m);
    expect(ended?.stdout).toContain('imported 0 new message(s)');
  });
});
