import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCase } from '../../src/store/cases.js';
import { type Db, inTransaction } from '../../src/store/db.js';
import { sql } from '../../src/store/kysely.js';
import { createReply } from '../../src/store/replies.js';
import { reprocessSubmission } from '../../src/store/reprocess.js';
import { fileSubmission, getSubmissionByMessage } from '../../src/store/submissions.js';
import { checkResult, createTestDb, DIALECTS, fakeSha, type TestDb } from '../support/db.js';
import { arrive, count, input } from './filing-support.js';

describe.each(DIALECTS)('store/fileSubmission concurrency on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('files a message once when two workers file it at the same time', async () => {
    const other = dialect === 'postgres' ? await t.connect() : t.db;
    const m = await arrive(t.db, '2025-10-10T02:00:00Z');
    const results = await Promise.all([
      fileSubmission(t.db, input(m, checkResult({}))),
      fileSubmission(other, input(m, checkResult({}))),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]?.submissionId).toBe(results[1]?.submissionId);
    expect(await count(t.db, 'submissions')).toBe(1);
  });

  it('files one of two byte-identical messages filed at the same time as the duplicate', async () => {
    // A sender's retry after a lost SMTP answer delivers the same bytes twice; a backlog hands
    // both to workers at once. Several rounds: each is one chance for the race.
    const other = dialect === 'postgres' ? await t.connect() : t.db;
    for (let round = 1; round <= 5; round++) {
      const sha = fakeSha();
      const day = `2025-10-0${round}T02:00:00Z`;
      const a = await arrive(t.db, day, sha);
      const b = await arrive(t.db, day, sha);
      const results = await Promise.all([
        fileSubmission(t.db, input(a, checkResult({ organization: `机构${round}` }))),
        fileSubmission(other, input(b, checkResult({ organization: `机构${round}` }))),
      ]);
      expect(results.map((r) => r.duplicateOf === null).sort()).toEqual([false, true]);
    }
  });

  it('gives concurrent filings unique, gap-free case numbers and one current submission per case', async () => {
    // On PostgreSQL each filing gets its own connection pool; SQLite serialises on its one writer.
    const dbs: Db[] =
      dialect === 'postgres' ? await Promise.all([1, 2, 3, 4].map(() => t.connect())) : [t.db];
    const distinct = await Promise.all(
      Array.from({ length: 12 }, (_, i) => arrive(t.db, `2025-10-0${1 + (i % 9)}T02:00:00Z`)),
    );
    const sameCase = await Promise.all(
      Array.from({ length: 6 }, (_, i) => arrive(t.db, `2025-10-1${i}T02:00:00Z`)),
    );
    const jobs = [
      ...distinct.map(
        (m, i) => () =>
          fileSubmission(
            dbs[i % dbs.length] as Db,
            input(m, checkResult({ organization: `机构${i}` })),
          ),
      ),
      ...sameCase.map(
        (m, i) => () =>
          fileSubmission(
            dbs[i % dbs.length] as Db,
            input(m, checkResult({ organization: '共同银行' })),
          ),
      ),
    ];
    const results = await Promise.all(jobs.map((job) => job()));

    const caseNos = [...new Set(results.map((r) => r.caseNo))].sort();
    expect(caseNos).toEqual(
      Array.from({ length: 13 }, (_, i) => `2025-${String(i + 1).padStart(4, '0')}`),
    );
    const shared = results.slice(12);
    expect(new Set(shared.map((r) => r.caseId)).size).toBe(1);
    const kase = await getCase(t.db, shared[0]?.caseId as number);
    const latest = await getSubmissionByMessage(t.db, sameCase[5] as number);
    expect(kase?.currentSubmissionId).toBe(latest?.id);
    const history = await Promise.all(
      sameCase.slice(0, 5).map((m) => getSubmissionByMessage(t.db, m)),
    );
    for (const s of history) expect(s?.supersededBy).not.toBeNull();
  });
  it("keeps an organiser's withdrawal made while a re-run of the case's submission waits for the case", async () => {
    const other = await t.connect();
    const m = await arrive(t.db, '2025-10-10T02:00:00Z');
    const filed = await fileSubmission(t.db, input(m, checkResult({})));
    const caseId = filed.caseId as number;
    // After a rule change the re-run says rejected, where the case says accepted.
    const evaluate = async () => ({
      result: checkResult({ verdict: 'rejected' }),
      attachments: [],
    });
    let commit = () => {};
    const committing = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let locked = () => {};
    const withdrawn = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // The organiser's withdrawal, its row written but not yet committed.
    const withdrawal = inTransaction(other, async (trx) => {
      await trx
        .updateTable('cases')
        .set({ status: 'withdrawn' })
        .where('id', '=', caseId)
        .execute();
      locked();
      await committing;
    });
    await withdrawn;
    const rerun = reprocessSubmission(t.db, evaluate, filed.submissionId, 'admin');
    // PostgreSQL: until the re-run waits for the case's row. (SQLite's re-run cannot even begin
    // its transaction while the other writer's is open.)
    for (let waiting = 0; dialect === 'postgres' && waiting === 0; ) {
      const row = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db.k);
      waiting = Number(row.rows[0]?.n ?? 0);
    }
    commit();
    await withdrawal;
    await expect(rerun).resolves.toMatchObject({ after: 'rejected' });
    expect((await getCase(t.db, caseId))?.status).toBe('withdrawn');
  });
  it('plans one reply when the same one is planned twice at once (a double click on a decision)', async () => {
    const other = dialect === 'postgres' ? await t.connect() : t.db;
    const m = await arrive(t.db, '2025-10-11T02:00:00Z');
    const { submissionId } = await fileSubmission(
      t.db,
      input(m, checkResult({ organization: '双击银行' })),
    );
    // Several rounds: each is one chance for both to look before either has inserted.
    for (const kind of [
      'decision-accepted',
      'decision-rejected',
      'decision-accepted-2',
      'decision-rejected-2',
    ]) {
      const plan = { kind, recipient: 'applicant@example.com', suppressedReason: null };
      const [a, b] = await Promise.all([
        createReply(t.db, submissionId, plan),
        createReply(other, submissionId, plan),
      ]);
      expect(a.id, kind).toBe(b.id);
    }
    const rows = await t.db.k
      .selectFrom('replies')
      .select('kind')
      .where('submission_id', '=', submissionId)
      .execute();
    expect(rows).toHaveLength(4);
  });
});
