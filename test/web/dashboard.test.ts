// The dashboard in a real browser, over a store filled by the real pipeline from the fixture
// submissions: log in, filter and search, a case with its logo, the XLSX export read back,
// a verdict override with its audit entry and queued reply, and hostile text shown as text.
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/report/labels.js';
import { readXlsx } from '../../src/report/xlsx.js';
import { recordUnfetched, resolveUnfetched } from '../../src/store/cursors.js';
import { waitFor } from '../support/app.js';
import { launchChromium, shot } from './browser.js';
import {
  CREDENTIALS,
  EVIL_FILENAME,
  type Populated,
  populate,
  SCRIPT_SUBJECT,
} from './populated.js';

let p: Populated;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];

async function caseIdOf(organizationPart: string): Promise<number> {
  const row = await p.app.db.k
    .selectFrom('cases')
    .select('id')
    .where('organization', 'like', `%${organizationPart}%`)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function caseIdBySubject(subjectPart: string): Promise<number> {
  const subs = await p.app.db.k
    .selectFrom('submissions')
    .select(['case_id', 'result_json'])
    .execute();
  const hit = subs.find((s) => s.case_id !== null && s.result_json.includes(subjectPart));
  if (!hit?.case_id) throw new Error(`no case with subject ${subjectPart}`);
  return hit.case_id;
}

beforeAll(async () => {
  p = await populate();
  browser = await launchChromium();
  context = await browser.newContext({
    acceptDownloads: true,
    locale: 'zh-CN',
    viewport: { width: 1280, height: 900 },
  });
  page = await context.newPage();
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
  await p?.dispose();
});

describe('dashboard in Chromium', () => {
  it('sends a visitor to the login form, refuses a wrong password, then logs in', async () => {
    await page.goto(`${p.baseUrl}/cases`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=username]', CREDENTIALS.user);
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await expect(page.locator('.alert').textContent()).resolves.toContain('用户名或密码不正确');
    await page.screenshot({ path: shot('login-failed') });

    await page.fill('input[name=username]', CREDENTIALS.user);
    await page.fill('input[name=password]', CREDENTIALS.password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/cases$/);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'intake_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');
    expect(cookies.find((c) => c.name === 'intake_login')?.sameSite).toBe('Strict');
  });

  it('shows the overview with counts and the per-day chart', async () => {
    await page.goto(`${p.baseUrl}/`);
    const cards = await page.locator('.cards').textContent();
    const accepted = await p.app.db.k
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'accepted')
      .executeTakeFirstOrThrow();
    expect(cards).toContain(`通过${Number(accepted.n)}`);
    expect(await page.locator('svg rect').count()).toBeGreaterThan(10);
    expect(await page.locator('svg').textContent()).toContain('截止 10-20');
    await page.screenshot({ path: shot('overview'), fullPage: true });
  });

  it('lists a message the poller passed over, with what to do about it, until marked done', async () => {
    await page.goto(`${p.baseUrl}/`);
    await expect(page.locator('main').textContent()).resolves.not.toContain('未能收取的邮件');
    await recordUnfetched(p.app.db, {
      mailbox: 'INBOX',
      uidValidity: '7',
      uid: 4321,
      receivedAt: new Date('2025-10-19T18:30:00Z'),
      size: 3 * 1024 * 1024,
      attempts: 5,
      error: 'NoConnection: <b>FETCH failed</b>',
    });
    await page.goto(`${p.baseUrl}/`);
    const section = page.locator('h2:has-text("未能收取的邮件") + .panel');
    const text = await section.textContent();
    expect(text).toContain('intake import');
    const row = (await section.locator('tr').nth(1).locator('td').allTextContents()).map((t) =>
      t.trim(),
    );
    expect(row).toEqual([
      'INBOX',
      '4321',
      '2025-10-20 02:30',
      formatBytes(3 * 1024 * 1024),
      'NoConnection: <b>FETCH failed</b>',
      '已手工导入',
    ]);

    // Fetched by hand: marked so, it leaves the list, and who did it is kept.
    await section.locator('button:has-text("已手工导入")').click();
    await page.waitForURL(`${p.baseUrl}/`);
    await expect(page.locator('main').textContent()).resolves.not.toContain('未能收取的邮件');
    const kept = () =>
      p.app.db.k
        .selectFrom('unfetched_messages')
        .select(['id', 'resolved_by', 'resolved_at'])
        .where('uid', '=', 4321)
        .executeTakeFirstOrThrow();
    const first = await kept();
    expect(first.resolved_by).toBe(CREDENTIALS.user);
    expect(first.resolved_at).not.toBeNull();
    // A second click (or another organiser's) finds it marked and keeps the first's record.
    expect(await resolveUnfetched(p.app.db, first.id, 'someone-else')).toBe(true);
    expect(await kept()).toEqual(first);
  });

  it('filters by status and searches by organisation', async () => {
    await page.goto(`${p.baseUrl}/cases`);
    await page.selectOption('select[name=status]', 'rejected');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/status=rejected/);
    const statuses = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(statuses.length).toBeGreaterThan(5);
    for (const s of statuses) expect(s).toContain('退回');
    await page.screenshot({ path: shot('cases-rejected'), fullPage: true });

    await page.goto(`${p.baseUrl}/cases`);
    await page.fill('input[name=q]', '东澜');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/q=/);
    const orgs = await page.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(orgs).toEqual(['东澜商业银行股份有限公司']);
  });

  it('opens a case and shows its logo with bytes and pixels, the 字数 and an excerpt', async () => {
    await page.click('tbody tr td:nth-child(5) a');
    await page.waitForURL(/\/cases\/\d+/);
    const logo = page.locator('img.logo');
    await logo.waitFor();
    const natural = await logo.evaluate((el) => {
      const img = el as unknown as { complete: boolean; naturalWidth: number };
      return img.complete ? img.naturalWidth : -1;
    });
    expect(natural).toBe(800);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('800 × 800 像素');
    expect(text).toContain('57508 字节');
    expect(text).toContain('4200 字');
    expect(((await page.locator('.excerpt').textContent()) ?? '').length).toBeGreaterThan(100);
    expect(text).toContain('风险管理智能化'); // declared direction
    await page.screenshot({ path: shot('case-accepted'), fullPage: true });
  });

  it('downloads the XLSX export, which exceljs reads back', async () => {
    await page.goto(`${p.baseUrl}/`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[href="/export.xlsx"]'),
    ]);
    const book = await readXlsx(await readFile((await download.path()) as string));
    const caseCount = await p.app.db.k
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(book.案例?.[0]?.[0]).toBe('案例编号');
    expect(book.案例?.length).toBe(Number(caseCount.n) + 1);
    const findings = book.问题清单 ?? [];
    expect(findings.some((r) => r[2] === 'LOGO_SIZE' && String(r[4]).includes('200 KB'))).toBe(
      true,
    );
  });

  it('overrides a verdict with a reason: audited, and the decision reply is queued', async () => {
    const target = await p.app.db.k
      .selectFrom('cases')
      .innerJoin('findings', 'findings.submission_id', 'cases.current_submission_id')
      .select(['cases.id', 'cases.current_submission_id'])
      .where('findings.rule', '=', 'LOGO_SIZE')
      .where('findings.passed', '=', 0)
      .executeTakeFirstOrThrow();
    await page.goto(`${p.baseUrl}/cases/${target.id}`);
    await page.selectOption('select[name=verdict]', 'accepted');
    await page.fill('textarea[name=reason]', '专家组认可原图清晰，破例接收');
    await page.check('input[name=sendReply]');
    await page.click('form[action$="/override"] button[type=submit]');
    await page.waitForURL(/notice=overridden-replied/);
    const audit = (await page.locator('table').last().textContent()) ?? '';
    expect(audit).toContain('人工改判');
    expect(audit).toContain('专家组认可原图清晰，破例接收');
    await page.screenshot({ path: shot('case-overridden'), fullPage: true });

    const kase = await p.app.db.k
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(kase).toMatchObject({
      status: 'accepted',
      verdict_override: 'accepted',
      override_reason: '专家组认可原图清晰，破例接收',
    });
    const entry = await p.app.db.k
      .selectFrom('audit_log')
      .selectAll()
      .where('entity', '=', 'case')
      .where('entity_id', '=', target.id)
      .where('action', '=', 'verdict_overridden')
      .executeTakeFirstOrThrow();
    expect(entry.actor).toBe(CREDENTIALS.user);
    const reply = () =>
      p.app.db.k
        .selectFrom('replies')
        .selectAll()
        .where('submission_id', '=', target.current_submission_id as number)
        .where('kind', '=', 'decision-accepted')
        .executeTakeFirst();
    expect(await reply()).toBeTruthy();
    // The rig's worker role runs the reply queue: the queued notice goes out to the outbox.
    await waitFor(
      'the decision reply sent through the queue',
      async () => (await reply())?.state === 'sent',
    );
    expect((await reply())?.recipient).toMatch(/@/);
  });

  it('shows a script subject and a path-like file name as text', async () => {
    const id = await caseIdBySubject('<script>');
    await page.goto(`${p.baseUrl}/cases/${id}`);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain(`${SCRIPT_SUBJECT}+脚本测试案例`); // the subject line, verbatim
    expect(main).toContain(EVIL_FILENAME.split('/').pop() as string);
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.content()).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const attachmentCell = page.locator('td', { hasText: 'passwd' }).first();
    expect(await attachmentCell.textContent()).toContain('passwd');
    await page.screenshot({ path: shot('case-hostile'), fullPage: true });

    await page.goto(`${p.baseUrl}/cases?q=${encodeURIComponent('<script>')}`);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(dialogs).toEqual([]);

    const att = await p.app.db.k
      .selectFrom('attachments')
      .innerJoin('submissions', 'submissions.id', 'attachments.submission_id')
      .select(['attachments.id', 'attachments.filename'])
      .where('submissions.case_id', '=', id)
      .where('attachments.filename', 'like', '%passwd%')
      .executeTakeFirstOrThrow();
    const res = await page.request.get(`${p.baseUrl}/files/${att.id}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="passwd"/);
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
    expect(res.headers()['content-type']).toBe('application/octet-stream');
  });

  it('reprocesses a case and marks one withdrawn from its page, both audited', async () => {
    const id = await caseIdOf('东澜');
    await page.goto(`${p.baseUrl}/cases/${id}`);
    await page.click('form[action$="/reprocess"] button[type=submit]');
    await page.waitForURL(/notice=reprocessed/);
    expect(await page.locator('table').last().textContent()).toContain('重新校验');

    const other = await caseIdOf('瀚海');
    await page.goto(`${p.baseUrl}/cases/${other}`);
    await page.fill('form[action$="/withdraw"] input[name=reason]', '申报单位来函撤回');
    await page.click('form[action$="/withdraw"] button[type=submit]');
    await page.waitForURL(/notice=withdrawn/);
    const kase = await p.app.db.k
      .selectFrom('cases')
      .select('status')
      .where('id', '=', other)
      .executeTakeFirstOrThrow();
    expect(kase.status).toBe('withdrawn');
    expect(await page.locator('table').last().textContent()).toContain('申报单位来函撤回');
  });

  it('refuses a form post without its CSRF token even when logged in', async () => {
    const id = await caseIdOf('东澜');
    const res = await page.request.post(`${p.baseUrl}/cases/${id}/withdraw`, {
      form: { reason: 'x' },
    });
    expect(res.status()).toBe(403);
    const kase = await p.app.db.k
      .selectFrom('cases')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(kase.status).not.toBe('withdrawn');
  });

  it('reads well on a phone', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${p.baseUrl}/cases`);
    const overflow = await phone.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: shot('cases-phone'), fullPage: true });
    await phone.goto(`${p.baseUrl}/cases/${await caseIdOf('东澜')}`);
    await phone.screenshot({ path: shot('case-phone'), fullPage: true });
    await phone.close();
  });
});
