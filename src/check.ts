// `intake check FILE.eml [--json] [--received-at ISO] [--contest FILE]`: validate one message
// offline with the same core the worker uses. Exit 0 whatever the verdict (a rejection is a
// result, not a failure); 2 for usage errors, an unreadable file or a bad contest profile (from
// --contest, else CONTEST_FILE).
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { type ContestProfile, loadContest } from './config/contest.js';
import { closeDocumentsWorker } from './documents/index.js';
import { startsLikeMail } from './intake/sources.js';
import { receivedAtOfRaw } from './mail/parse.js';
import { showable } from './names.js';
import type { ReceivedAtSource } from './store/schema.js';
import { localTime, receivedAtDoubt } from './submission/time.js';
import type { CheckResult } from './types.js';
import { validateMessage } from './validate.js';

export interface CheckOptions {
  json?: boolean;
  receivedAt?: string;
  contest?: string;
}

class UsageError extends Error {
  readonly code = 'UsageError';
}

/**
 * An explicit ISO time; a bare date or time without a zone is refused as ambiguous, and a day the
 * month does not have (V8 reads 2025-02-30 as March 2nd) as a typing error.
 */
function parseReceivedAt(value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(
    value.trim(),
  );
  const date = new Date(value.trim());
  const [year, month, day] = (m ?? []).slice(1, 4).map(Number);
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  if (!m || Number.isNaN(date.getTime()) || !day || day > daysInMonth) {
    throw new UsageError(
      `--received-at: "${value}" is not an ISO time with a zone, e.g. 2025-10-18T09:12:00+08:00`,
    );
  }
  return date;
}

function loadProfile(file: string | undefined): ContestProfile {
  try {
    return file ? loadContest(file) : loadContest();
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    throw new UsageError(problems ? problems.join('\n') : (err as Error).message);
  }
}

/** Receive time from the message itself when none is given: newest Received:, else Date:. */
async function receivedAtOf(raw: Buffer): Promise<{ at: Date; source: ReceivedAtSource }> {
  const found = await receivedAtOfRaw(raw);
  if (found?.source === 'received') return { at: found.at, source: 'received-header' };
  if (found) return { at: found.at, source: 'date-header' };
  return { at: new Date(), source: 'now' };
}

export async function runCheck(
  file: string,
  opts: CheckOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let raw: Buffer;
  let profile: ContestProfile;
  let receivedAt: Date | undefined;
  try {
    profile = loadProfile(opts.contest);
    if (opts.receivedAt !== undefined) receivedAt = parseReceivedAt(opts.receivedAt);
    // `-`: standard input, for a message piped in (or a file whose name is not UTF-8, which
    // Node's argv cannot carry).
    raw = await (file === '-' ? buffer(process.stdin) : readFile(file)).catch(
      (e: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
      },
    );
  } catch (e) {
    err.write(`intake check: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    // --received-at is the operator's word, as certain as a server's record.
    const found = receivedAt ? undefined : await receivedAtOf(raw);
    const doubt = found ? receivedAtDoubt(found.source) : null;
    const at = found?.at ?? (receivedAt as Date);
    const { result } = await validateMessage(raw, at, profile, { receivedAtDoubt: doubt });
    if (doubt) result.warnings.push(`${doubt}（可能不准确）`);
    if (!startsLikeMail(raw.subarray(0, 200).toString('latin1'))) {
      result.warnings.push(
        raw.length === 0
          ? '文件为空（0 字节），不是一封邮件'
          : '文件开头不是邮件头，可能不是一封邮件（.eml）',
      );
    }
    out.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result, profile));
    return 0;
  } catch (e) {
    // Bad input is meant to come back as findings; reaching here is a bug in the core.
    err.write(`intake check: internal error while checking ${file}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await closeDocumentsWorker();
  }
}

const VERDICT: Record<CheckResult['verdict'], string> = {
  accepted: '通过 accepted',
  rejected: '退回 rejected',
  needs_review: '待人工审核 needs_review',
  not_submission: '非申报邮件 not_submission',
};
const ROLE: Record<string, string> = {
  form: '申报表',
  report: '案例报告',
  logo: '商标',
  scan: '盖章扫描件',
  evidence: '证明材料',
  archive: '压缩包',
  other: '其他',
};

/** The readable report of `intake check` without --json. */
export function formatReport(r: CheckResult, profile: ContestProfile): string {
  const lines = [
    `结论 verdict: ${VERDICT[r.verdict]}   (kind: ${r.kind})`,
    `收件时间 received: ${localTime(new Date(r.receivedAt), profile.deadline.utcOffset)} (${r.receivedAt})`,
    `主题 subject: ${r.subject.raw || '（空）'}`,
    `  单位 organization: ${r.subject.organization ?? '—'}   题目 title: ${r.subject.title ?? '—'}`,
    '',
    `附件 attachments (${r.attachments.length}):`,
    ...r.attachments.map(
      (a) =>
        `  [${ROLE[a.role] ?? a.role}] ${a.insideArchive ? `${a.insideArchive} / ` : ''}${a.filename}  ${a.detectedType}, ${a.bytes.toLocaleString('en-US')} bytes`,
    ),
  ];
  if (r.report)
    lines.push(
      `案例报告 report: ${r.report.filename} (${r.report.source}), ${r.report.chars.toLocaleString('en-US')} 字`,
    );
  if (r.logo)
    lines.push(
      `商标 logo: ${r.logo.filename}, ${r.logo.format}, ${r.logo.width === null ? '尺寸未知 size unknown' : `${r.logo.width}×${r.logo.height}`}, ${r.logo.bytes.toLocaleString('en-US')} bytes`,
    );
  if (r.form) {
    lines.push(`申报表 form: ${r.form.filename}`);
    for (const [k, v] of Object.entries(r.form.fields)) lines.push(`  ${k}: ${v}`);
  }
  lines.push('', `检查项 findings (${r.findings.length}):`);
  for (const f of r.findings)
    lines.push(`  ${f.passed ? '✓' : '✗'} ${f.rule} [${f.severity}] ${f.message}`);
  if (r.warnings.length > 0) lines.push('', '提示 warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  // Subjects, names and form fields are the sender's: an escape sequence in one would reach the
  // organiser's terminal (clear it, retitle it, forge lines). A line break or tab inside a value
  // (a two-line form cell) is a space.
  return `${lines.map((line) => showable(line.replace(/[\t\n\v\f\r]+/g, ' '))).join('\n')}\n`;
}
