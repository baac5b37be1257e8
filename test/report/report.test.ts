// The validation report in every format over the real pipeline's store, and `reprocess` after
// a profile change: verdicts replaced in place, audited, organiser decisions kept.
import { mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { renderReport, runReport, runReprocess } from '../../src/report/commands.js';
import { UTF8_BOM } from '../../src/report/csv.js';
import type { CaseReportRow } from '../../src/report/rows.js';
import { readXlsx, reportToXlsx, XLSX_CELL_MAX } from '../../src/report/xlsx.js';
import { listCases } from '../../src/store/cases.js';
import { overrideVerdict } from '../../src/store/decisions.js';
import { basicAuth, type Populated, populate, SCRIPT_SUBJECT } from '../web/populated.js';

let p: Populated;
const sink = () => {
  const chunks: (string | Buffer)[] = [];
  return {
    chunks,
    write: (s: string | Buffer) => chunks.push(s),
    text: () => chunks.map(String).join(''),
  };
};

beforeAll(async () => {
  p = await populate();
});
afterAll(async () => {
  await p?.dispose();
});

describe('intake report', () => {
  it('refuses a SQLite database that is not there rather than report an empty one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-typo-'));
    const env = loadEnv({ DATA_DIR: path.join(dir, 'dat') });
    await expect(runReport(env, { format: 'json' }, sink(), sink())).rejects.toMatchObject({
      code: 'ConfigError',
      message: expect.stringContaining(`no database at ${path.join(dir, 'dat', 'intake.sqlite')}`),
    });
    await expect(runReprocess(env, { all: true }, sink(), sink())).rejects.toMatchObject({
      code: 'ConfigError',
    });
    await expect(readdir(dir)).resolves.toEqual([]); // nothing made
  });

  it('prints the DESIGN.md §4 JSON, the same bytes as /api/cases', async () => {
    const json = (await renderReport(p.app.db, p.rig.env, 'json')) as string;
    const api = await (
      await fetch(`${p.baseUrl}/api/cases`, { headers: { authorization: basicAuth() } })
    ).text();
    expect(api).toBe(json);
    const cases = JSON.parse(json);
    expect(cases).toEqual(await listCases(p.app.db));
    const ref = cases.find(
      (c: { organization: string }) => c.organization === '东澜商业银行股份有限公司',
    );
    expect(Object.keys(ref).sort()).toEqual([
      'caseNo',
      'direction',
      'id',
      'organization',
      'status',
      'submissions',
      'title',
    ]);
    expect(ref.submissions[0]).toEqual({
      messageId: '<20250922091700.0000@donglanbank.com.cn>',
      receivedAt: '2025-09-22T01:17:00.000Z',
      verdict: 'accepted',
      failedRules: [],
    });
  });

  it('writes CSV with a UTF-8 BOM, one row per case, quoted where needed', async () => {
    const csv = (await renderReport(p.app.db, p.rig.env, 'csv')) as string;
    expect(csv.startsWith(UTF8_BOM)).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]?.split(',')[0]).toBe('案例编号');
    expect(lines.length).toBe((await listCases(p.app.db)).length + 1);
    expect(csv).toContain('LOGO_SIZE');
    const viaWeb = await fetch(`${p.baseUrl}/export.csv`, {
      headers: { authorization: basicAuth() },
    });
    expect(viaWeb.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(Buffer.from(await viaWeb.arrayBuffer()).subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf]),
    );
  });

  it('writes one self-contained HTML file with hostile text escaped', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-report-'));
    const out = path.join(dir, 'report.html');
    const err = sink();
    expect(await runReport(p.rig.env, { format: 'html', out }, sink(), err)).toBe(0);
    const page = await readFile(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|src=|https?:\/\//i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain(SCRIPT_SUBJECT);
    expect(page).toContain('东澜商业银行股份有限公司');
  });

  it('writes an XLSX workbook exceljs reads back, and refuses to print one to the terminal', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-report-'));
    const out = path.join(dir, 'report.xlsx');
    expect(await runReport(p.rig.env, { format: 'xlsx', out }, sink(), sink())).toBe(0);
    const book = await readXlsx(await readFile(out));
    expect(Object.keys(book)).toEqual(['案例', '问题清单']);
    const header = book.案例?.[0] ?? [];
    const row =
      book.案例?.find((r) => r[header.indexOf('申报单位')] === '东澜商业银行股份有限公司') ?? [];
    expect(row[header.indexOf('报告字数')]).toBe(4200);
    expect(row[header.indexOf('申报方向')]).toBe('风险管理智能化');
    expect(row[header.indexOf('建议方向（关键词）')]).toBe('风险管理智能化 / 信用评估创新');
    const err = sink();
    expect(await runReport(p.rig.env, { format: 'xlsx' }, sink(), err)).toBe(2);
    expect(err.text()).toContain('--out');
    expect(await runReport(p.rig.env, { format: 'pdf' }, sink(), sink())).toBe(2);
  });

  it('cuts a text longer than an Excel cell holds, and says so, whole characters only', async () => {
    const kase = { id: 1, caseNo: '2025-0001', organization: '东澜商业银行股份有限公司' };
    const long = '无法打开：'.repeat(9_000); // 45,000 characters
    const note = '…（以下过长已截断，全文见看板）';
    // The last character kept would be the first half of 😀.
    const emoji = `${'字'.repeat(XLSX_CELL_MAX - note.length - 1)}${'😀'.repeat(20)}`;
    const finding = { caseNo: '2025-0001', organization: '', rule: 'R', severity: 'review' };
    const book = await readXlsx(
      await reportToXlsx({
        cases: [{ ...kase, title: long } as unknown as CaseReportRow],
        findings: [
          { ...finding, message: long, receivedAt: '' },
          { ...finding, message: emoji, receivedAt: '' },
          { ...finding, message: '短', receivedAt: '' },
        ],
      }),
    );
    const title = book.案例?.[0]?.indexOf('案例题目') ?? -1;
    const cells = [book.案例?.[1]?.[title], ...(book.问题清单 ?? []).slice(1).map((r) => r[4])];
    const texts = cells.map(String);
    expect(texts.map((t) => t.length <= XLSX_CELL_MAX)).toEqual([true, true, true, true]);
    expect(texts.slice(0, 3).every((t) => t.endsWith(note))).toBe(true);
    expect(texts[0]?.startsWith('无法打开：无法打开：')).toBe(true);
    expect(texts[2]).toBe(`${'字'.repeat(XLSX_CELL_MAX - note.length - 1)}${note}`);
    expect(texts[3]).toBe('短');
  });
});

describe('intake reprocess', () => {
  it('re-runs validation after a profile change: verdicts replaced in place and audited', async () => {
    const db = p.app.db;
    const ref = (await listCases(db)).find((c) => c.organization === '东澜商业银行股份有限公司');
    const other = (await listCases(db)).find((c) => c.status === 'accepted' && c.id !== ref?.id);
    if (!ref || !other) throw new Error('fixture cases missing');
    await overrideVerdict(db, other.id, {
      verdict: 'accepted',
      reason: '专家确认',
      actor: 'organiser',
    });

    // Next year's rule: logos under 50 KB. The reference logo (57,508 bytes) now fails.
    const profile = JSON.parse(
      await readFile(path.join(process.cwd(), 'config/contest-2025.json'), 'utf8'),
    );
    profile.logo.maxBytes = 50 * 1024;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-profile-'));
    await writeFile(path.join(dir, 'contest.json'), JSON.stringify(profile));
    const env = loadEnv({ ...p.rig.vars, CONTEST_FILE: path.join(dir, 'contest.json') });
    const before = await db.k
      .selectFrom('findings')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();

    const out = sink();
    expect(await runReprocess(env, { case: ref.caseNo }, out, sink())).toBe(0);
    expect(out.text()).toMatch(/accepted → rejected \+LOGO_SIZE/);
    const kase = await db.k
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', ref.id)
      .executeTakeFirstOrThrow();
    expect(kase.status).toBe('rejected');
    const sub = await db.k
      .selectFrom('submissions')
      .selectAll()
      .where('id', '=', kase.current_submission_id as number)
      .executeTakeFirstOrThrow();
    expect(sub.verdict).toBe('rejected');
    const failed = await db.k
      .selectFrom('findings')
      .select('rule')
      .where('submission_id', '=', sub.id)
      .where('passed', '=', 0)
      .execute();
    expect(failed.map((f) => f.rule)).toEqual(['LOGO_SIZE']);
    const after = await db.k
      .selectFrom('findings')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n)); // replaced, not added
    const audit = await db.k
      .selectFrom('audit_log')
      .selectAll()
      .where('entity', '=', 'submission')
      .where('entity_id', '=', sub.id)
      .where('action', '=', 'reprocessed')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.detail_json ?? '{}')).toMatchObject({
      before: 'accepted',
      after: 'rejected',
      newlyFailed: ['LOGO_SIZE'],
    });

    // --all: the overridden case keeps the organiser's verdict even though its logo now fails.
    expect(await runReprocess(env, { all: true }, sink(), sink())).toBe(0);
    const kept = await db.k
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', other.id)
      .executeTakeFirstOrThrow();
    expect(kept.status).toBe('accepted');
    const keptSub = await db.k
      .selectFrom('submissions')
      .select('verdict')
      .where('id', '=', kept.current_submission_id as number)
      .executeTakeFirstOrThrow();
    expect(keptSub.verdict).toBe('rejected'); // the machine's verdict did change
    expect(await runReprocess(env, {}, sink(), sink())).toBe(2);
    expect(await runReprocess(env, { case: '2099-9999' }, sink(), sink())).toBe(1);
  });

  it('goes on past a submission whose message it cannot read, names it, and exits 1', async () => {
    const db = p.app.db;
    const subs = await db.k
      .selectFrom('submissions')
      .innerJoin('messages', 'messages.id', 'submissions.message_row_id')
      .select(['submissions.id', 'messages.sha256'])
      .where('submissions.case_id', 'is not', null)
      .where('submissions.duplicate_of', 'is', null)
      .orderBy('submissions.id')
      .execute();
    const lost = subs[1];
    if (!lost) throw new Error('two submissions expected');
    const blob = p.app.blobs.path(lost.sha256);
    await rename(blob, `${blob}.away`); // a blob lost to a bad restore, say
    try {
      const out = sink();
      const err = sink();
      expect(await runReprocess(p.rig.env, { all: true }, out, err)).toBe(1);
      expect(out.text()).toContain(`reprocessed ${subs.length - 1} submission(s)`);
      expect(err.text()).toContain(`submission ${lost.id} left as it was`);
    } finally {
      await rename(`${blob}.away`, blob);
    }
  });
});
