// The dashboard's case search on both stores: what an organiser types is found as typed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchCases } from '../../src/store/case-search.js';
import { fileSubmission } from '../../src/store/submissions.js';
import { checkResult, createTestDb, DIALECTS, type TestDb } from '../support/db.js';
import { arrive, input } from './filing-support.js';

describe.each(DIALECTS)('store/searchCases on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
    const cases = [
      ['甲银行', '不良率下降30%的实践'],
      ['乙银行', '不良率下降300家的实践'],
      ['A_B 科技', '数据中台'],
      ['AxB 科技', '数据中台二期'],
      ['丙银行\\分行', '反斜杠案例'],
    ];
    for (const [i, [organization, title]] of cases.entries()) {
      const m = await arrive(t.db, `2025-10-1${i}T02:00:00Z`);
      await fileSubmission(t.db, input(m, checkResult({ organization, title })));
    }
  });
  afterEach(async () => {
    await t.dispose();
  });

  const found = async (q: string) =>
    (await searchCases(t.db, { q })).rows.map((r) => r.organization).sort();

  it('takes %, _ and \\ as the characters typed, not as wildcards', async () => {
    expect(await found('30%')).toEqual(['甲银行']);
    expect(await found('a_b')).toEqual(['A_B 科技']);
    expect(await found('行\\分')).toEqual(['丙银行\\分行']);
    // Plain text still matches anywhere, in any case.
    expect(await found('300')).toEqual(['乙银行']);
    expect(await found('ax')).toEqual(['AxB 科技']);
  });
});
