// The throwaway Dovecot harness itself: private instances side by side, APPEND with an
// INTERNALDATE, a UIDVALIDITY change that keeps the messages, killing only its own processes;
// and the session's download against it.
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapSession } from '../../src/intake/imap.js';
import { startDovecot, type TestDovecot } from '../support/dovecot.js';

describe('startDovecot', () => {
  let one: TestDovecot;
  let two: TestDovecot;
  beforeAll(async () => {
    [one, two] = await Promise.all([startDovecot(), startDovecot()]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
  });

  const open = async (d: TestDovecot) => {
    const s = createImapSession({
      host: d.host,
      port: d.port,
      secure: false,
      user: d.user,
      password: d.password,
    });
    await s.connect();
    return { s, box: await s.open('INBOX') };
  };

  /** Another client deletes the message. */
  const expungeElsewhere = async (d: TestDovecot, uid: number | undefined) => {
    const other = new ImapFlow({
      host: d.host,
      port: d.port,
      secure: false,
      auth: { user: d.user, pass: d.password },
      logger: false,
    });
    await other.connect();
    await other.mailboxOpen('INBOX');
    await other.messageDelete(String(uid), { uid: true });
    await other.logout();
  };

  it('runs private instances side by side on random ports', async () => {
    expect(one.port).not.toBe(two.port);
    expect(one.dir).not.toBe(two.dir);
    expect(await one.append(Buffer.from('Subject: a\r\n\r\none\r\n'))).toBe(1);
    const { s, box } = await open(two);
    expect(box.exists).toBe(0); // the other instance's mailbox is untouched
    await s.logout();
  });

  it('gives no INTERNALDATE for a date no campaign mail can have (1970: what NIL becomes)', async () => {
    const uids = [
      await two.append(Buffer.from('Subject: a\r\n\r\none\r\n'), new Date(0)),
      await two.append(Buffer.from('Subject: b\r\n\r\ntwo\r\n'), new Date('1999-12-31T23:00:00Z')),
      await two.append(
        Buffer.from('Subject: c\r\n\r\nthree\r\n'),
        new Date('2000-01-01T00:00:00Z'),
      ),
    ];
    const { s } = await open(two);
    const metas = await s.meta(uids);
    expect(metas.map((m) => m.internalDate?.toISOString() ?? null)).toEqual([
      null,
      null,
      '2000-01-01T00:00:00.000Z',
    ]);
    await s.logout();
  });

  it('appends with the given INTERNALDATE and offers \\* in PERMANENTFLAGS', async () => {
    const date = new Date('2025-10-20T15:59:59Z');
    const uid = await two.append(Buffer.from('Subject: b\r\n\r\ntwo\r\n'), date);
    const { s, box } = await open(two);
    const [meta] = await s.meta([uid]);
    expect(meta?.internalDate?.toISOString()).toBe(date.toISOString());
    expect(box.permanentFlags?.has('\\*')).toBe(true);
    await s.logout();
  });

  it("downloads a message whole, in pieces under 1 MB (below the allocator's mmap threshold)", async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'QUJD\r\n');
    const raw = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), body]);
    const uid = await one.append(raw);
    const { s } = await open(one);
    const pieces: Buffer[] = [];
    for await (const piece of (await s.download(uid)) ?? []) pieces.push(piece);
    await s.logout();
    expect(Buffer.concat(pieces).equals(raw)).toBe(true);
    expect(pieces.length).toBeGreaterThan(3);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(1024 * 1024);
  });

  it('takes a search the server refuses for an error, not for an empty mailbox', async () => {
    await one.append(Buffer.from('Subject: c\r\n\r\nthree\r\n'));
    const { s } = await open(one);
    expect((await s.uidsAbove(0)).length).toBeGreaterThan(0);
    // Past the largest UID there is (2^32 - 1): Dovecot answers BAD.
    await expect(s.uidsAbove(2 ** 32 - 1)).rejects.toMatchObject({ code: 'SearchRefused' });
    await s.logout();
  });

  it('lists the messages asked for, one row each, and leaves out one expunged meanwhile', async () => {
    const uids = [];
    for (const n of [1, 2, 3])
      uids.push(await two.append(Buffer.from(`Subject: m${n}\r\n\r\n.\r\n`)));
    const { s } = await open(two);
    // Another client deletes the middle one before our FETCH.
    await expungeElsewhere(two, uids[1]);
    await s.refresh(); // our session hears of the expunge
    const metas = await s.meta(uids);
    expect(metas.map((m) => m.uid)).toEqual([uids[0], uids[2]]);
    for (const m of metas) {
      expect(m.internalDate).toBeInstanceOf(Date);
      expect(m.size).toBeGreaterThan(0);
    }
    await s.logout();
  });

  it('downloads nothing for a message expunged meanwhile, once a search says it is gone', async () => {
    const uid = await two.append(Buffer.from('Subject: gone\r\n\r\n.\r\n'));
    const { s } = await open(two);
    await expungeElsewhere(two, uid);
    await s.refresh();
    expect(await s.download(uid)).toBeUndefined();
    await s.logout();
  });

  it('recreateMailbox gives a new UIDVALIDITY and keeps the same messages', async () => {
    const before = await open(two);
    const uids = await before.s.uidsAbove(0);
    await before.s.logout();
    await two.recreateMailbox();
    const after = await open(two);
    expect(after.box.uidValidity).not.toBe(before.box.uidValidity);
    expect(await after.s.uidsAbove(0)).toHaveLength(uids.length);
    await after.s.logout();
  });

  it('killImapProcesses drops this instance’s connections only', async () => {
    const mine = await open(one);
    const other = await open(two);
    const closed = new Promise<void>((resolve) => mine.s.onClose(() => resolve()));
    expect(await one.killImapProcesses()).toBeGreaterThan(0);
    await closed;
    expect(other.s.usable).toBe(true);
    await other.s.uidsAbove(0); // still answers
    await other.s.logout();
  });

  it('restart keeps the mail and the port', async () => {
    const before = await open(one);
    const count = before.box.exists;
    await before.s.logout();
    expect(count).toBeGreaterThan(0);
    await one.restart();
    const { s, box } = await open(one);
    expect(box.exists).toBe(count);
    await s.logout();
  });
});
