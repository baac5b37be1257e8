import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCursor, recordPoll, recordUnfetched, saveCursor } from '../../src/store/cursors.js';
import {
  countMessages,
  findMessageBySha,
  getMessage,
  insertMessage,
  listUnfinishedMessageIds,
  type NewMessage,
  setMessageState,
} from '../../src/store/messages.js';
import { listUnfinishedReplyIds } from '../../src/store/replies.js';
import { createTestDb, DIALECTS, fakeSha, type TestDb } from '../support/db.js';

function imapMessage(uid: number, over: Partial<NewMessage> = {}): NewMessage {
  return {
    source: 'imap',
    mailbox: 'INBOX',
    uidValidity: '1700000000',
    uid,
    sha256: fakeSha(),
    size: 1234,
    receivedAt: new Date('2025-10-18T01:12:00Z'),
    receivedAtSource: 'internaldate',
    ...over,
  };
}

describe.each(DIALECTS)('store/messages on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('inserts an IMAP message once: the same mailbox, UIDVALIDITY and UID is one row', async () => {
    const m = imapMessage(101);
    const first = await insertMessage(t.db, m);
    const second = await insertMessage(t.db, { ...m, sha256: fakeSha() });
    expect(first.inserted).toBe(true);
    expect(second).toEqual({ id: first.id, inserted: false });
    const row = await getMessage(t.db, first.id);
    expect(row).toMatchObject({
      source: 'imap',
      sourceKey: 'imap:INBOX:1700000000:101',
      uid: 101,
      sha256: m.sha256,
      state: 'pending',
      attempts: 0,
      receivedAt: m.receivedAt,
      receivedAtSource: 'internaldate',
      processedAt: null,
    });
  });

  it('keeps the same UID under a new UIDVALIDITY as a new row, findable by sha256', async () => {
    const m = imapMessage(7);
    const a = await insertMessage(t.db, m);
    const b = await insertMessage(t.db, { ...m, uidValidity: '1800000000' });
    expect(b.inserted).toBe(true);
    expect(b.id).not.toBe(a.id);
    expect((await findMessageBySha(t.db, 'INBOX', m.sha256))?.id).toBe(a.id);
    expect(await findMessageBySha(t.db, 'Other', m.sha256)).toBeUndefined();
  });

  it('dedupes dropped files by source and content', async () => {
    const sha256 = fakeSha();
    const drop: NewMessage = {
      source: 'drop',
      mailbox: 'drop',
      uidValidity: null,
      uid: null,
      sha256,
      size: 10,
      receivedAt: new Date('2025-10-19T00:00:00Z'),
      receivedAtSource: 'mtime',
      originalName: 'a.eml',
    };
    const a = await insertMessage(t.db, drop);
    const b = await insertMessage(t.db, { ...drop, originalName: 'copy of a.eml' });
    const c = await insertMessage(t.db, { ...drop, source: 'import' });
    expect(b).toEqual({ id: a.id, inserted: false });
    expect(c.inserted).toBe(true);
    expect((await getMessage(t.db, a.id))?.originalName).toBe('a.eml');
  });

  it('refuses an IMAP message without a UID', async () => {
    await expect(insertMessage(t.db, imapMessage(1, { uid: null }))).rejects.toMatchObject({
      code: 'InvalidMessage',
    });
  });

  it('tracks state: attempts count processing starts; the sweep lists unfinished ones', async () => {
    const before = await countMessages(t.db);
    const ids: number[] = [];
    for (const uid of [201, 202, 203]) ids.push((await insertMessage(t.db, imapMessage(uid))).id);
    expect(await countMessages(t.db)).toBe(before + 3);
    const [a, b, c] = ids as [number, number, number];

    await setMessageState(t.db, a, 'processing');
    await setMessageState(t.db, a, 'pending', 'worker died');
    await setMessageState(t.db, a, 'processing');
    await setMessageState(t.db, b, 'processing');
    await setMessageState(t.db, b, 'processed');
    await setMessageState(t.db, c, 'failed', '无法解析');

    expect(await getMessage(t.db, a)).toMatchObject({
      state: 'processing',
      attempts: 2,
      lastError: 'worker died',
    });
    const done = await getMessage(t.db, b);
    expect(done).toMatchObject({ state: 'processed', attempts: 1, lastError: null });
    expect(done?.processedAt).toBeInstanceOf(Date);
    expect(await getMessage(t.db, c)).toMatchObject({ state: 'failed', lastError: '无法解析' });

    const unfinished = await listUnfinishedMessageIds(t.db);
    expect(unfinished).toContain(a);
    expect(unfinished).not.toContain(b);
    expect(unfinished).not.toContain(c);
    expect(unfinished).toEqual([...unfinished].sort((x, y) => x - y));
    expect(await listUnfinishedMessageIds(t.db, 1)).toHaveLength(1);
  });

  it('keeps a processed message processed whatever a stale second run of its job sets', async () => {
    const id = (await insertMessage(t.db, imapMessage(301))).id;
    await setMessageState(t.db, id, 'processing');
    await setMessageState(t.db, id, 'processed');
    // A stalled job's second run read the row before the filing committed, and goes on.
    await setMessageState(t.db, id, 'processing');
    await setMessageState(t.db, id, 'pending', 'the second run failed');
    await setMessageState(t.db, id, 'failed', 'too many attempts');
    expect(await getMessage(t.db, id)).toMatchObject({
      state: 'processed',
      attempts: 1,
      lastError: null,
    });
    expect(await listUnfinishedMessageIds(t.db)).not.toContain(id);
  });

  it('has no unfinished replies in a fresh store', async () => {
    expect(await listUnfinishedReplyIds(t.db)).toEqual([]);
  });
});

describe.each(DIALECTS)('store/cursors on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('never moves lastUid backwards within one UIDVALIDITY', async () => {
    expect(await getCursor(t.db, 'INBOX')).toBeUndefined();
    await saveCursor(t.db, 'INBOX', '42', 10);
    await saveCursor(t.db, 'INBOX', '42', 7);
    expect(await getCursor(t.db, 'INBOX')).toMatchObject({ uidValidity: '42', lastUid: 10 });
    await saveCursor(t.db, 'INBOX', '42', 12);
    expect((await getCursor(t.db, 'INBOX'))?.lastUid).toBe(12);
  });

  it('keeps UIDs up to the largest IMAP has (2^32 - 1), past a 32-bit signed integer', async () => {
    const uid = 2 ** 32 - 1;
    const m = await insertMessage(t.db, imapMessage(uid, { mailbox: 'Big' }));
    expect(m.inserted).toBe(true);
    expect((await getMessage(t.db, m.id))?.uid).toBe(uid);
    await saveCursor(t.db, 'Big', '1700000000', uid);
    expect((await getCursor(t.db, 'Big'))?.lastUid).toBe(uid);
    await recordUnfetched(t.db, {
      mailbox: 'Big',
      uidValidity: '1700000000',
      uid: uid - 1,
      receivedAt: new Date(),
      size: 10,
      attempts: 3,
      error: 'NO',
    });
    const row = await t.db.k
      .selectFrom('unfetched_messages')
      .select('uid')
      .where('mailbox', '=', 'Big')
      .executeTakeFirstOrThrow();
    expect(row.uid).toBe(uid - 1);
  });

  it('restarts numbering when UIDVALIDITY changes', async () => {
    await saveCursor(t.db, 'Archive', '1', 500);
    await saveCursor(t.db, 'Archive', '2', 3);
    expect(await getCursor(t.db, 'Archive')).toMatchObject({ uidValidity: '2', lastUid: 3 });
  });

  it('records poll failures and clears them on the next success', async () => {
    await recordPoll(t.db, 'Fresh', { ok: false, error: 'ETIMEOUT' });
    const failed = await getCursor(t.db, 'Fresh');
    expect(failed).toMatchObject({
      uidValidity: null,
      lastUid: 0,
      lastPollAt: null,
      lastError: 'ETIMEOUT',
    });
    expect(failed?.lastErrorAt).toBeInstanceOf(Date);

    await recordPoll(t.db, 'Fresh', { ok: true });
    const ok = await getCursor(t.db, 'Fresh');
    expect(ok).toMatchObject({ lastError: null, lastErrorAt: null });
    expect(ok?.lastPollAt).toBeInstanceOf(Date);

    await saveCursor(t.db, 'Fresh', '9', 4);
    await recordPoll(t.db, 'Fresh', { ok: true });
    expect(await getCursor(t.db, 'Fresh')).toMatchObject({ uidValidity: '9', lastUid: 4 });
  });
});
