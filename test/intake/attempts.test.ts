// Which failures of a job count against its message's attempts (src/pipeline.ts): a thread ended
// for another message's overrun does not, as an outage does not; a failure of its own does.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadContest } from '../../src/config/contest.js';
import { EvaluateThreadError } from '../../src/evaluate-pool.js';
import { createLogger } from '../../src/log.js';
import { createPipeline } from '../../src/pipeline.js';
import { createBlobStore } from '../../src/store/blobs.js';
import { getMessage, insertMessage } from '../../src/store/messages.js';
import { tempDir } from '../rules/support.js';
import { createTestDb, fakeSha, type TestDb } from '../support/db.js';

describe('a job that fails', () => {
  let t: TestDb;
  const dir = tempDir();
  beforeEach(async () => {
    t = await createTestDb('sqlite');
  });
  afterEach(async () => {
    await t.dispose();
  });
  afterAll(() => dir.cleanup());

  async function attemptsAfter(failure: Error): Promise<number | undefined> {
    const { id } = await insertMessage(t.db, {
      source: 'import',
      mailbox: 'import',
      uidValidity: null,
      uid: null,
      sha256: fakeSha(),
      size: 1,
      receivedAt: new Date(),
      receivedAtSource: 'now',
    });
    const pipeline = createPipeline({
      db: t.db,
      blobs: createBlobStore(dir.dir),
      profile: loadContest(),
      log: createLogger('silent'),
      evaluate: () => Promise.reject(failure),
    });
    await expect(pipeline.processMessage({ messageId: id })).rejects.toBe(failure);
    const row = await getMessage(t.db, id);
    expect(row?.state).toBe('pending');
    return row?.attempts;
  }

  it('beside a message that ran out of time is not charged an attempt', async () => {
    expect(await attemptsAfter(new EvaluateThreadError('another ran past', true))).toBe(0);
  });

  it('on its own thread trouble is charged one', async () => {
    expect(await attemptsAfter(new EvaluateThreadError('evaluation exceeded'))).toBe(1);
  });
});
