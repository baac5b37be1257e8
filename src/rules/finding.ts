// Helpers shared by the rules: a finding is built the same way everywhere, and numbers are
// written the way applicants read them (`2,150 字`, `312 KB`).
import { type ContestProfile, nameHas } from '../config/contest.js';
import type { DocumentProblem, DocumentRead, Finding, Severity, Submission } from '../types.js';

export type RuleOutcome = Omit<Finding, 'rule'>;

export function pass(message: string, details: Record<string, unknown> = {}): RuleOutcome {
  return { severity: 'info', passed: true, message, details };
}

export function fail(
  severity: Severity,
  message: string,
  details: Record<string, unknown> = {},
): RuleOutcome {
  return { severity, passed: false, message, details };
}

/** A rule whose input another rule already reports missing passes, saying why. */
export function notApplicable(what: string): RuleOutcome {
  return pass(`未找到${what}，本项不适用`, { applicable: false });
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** `「案例报告.docx」` or `「资料.zip / 报告.docx」` for a file inside an archive. */
export function quoteFile(entry: { filename: string; insideArchive: string | null }): string {
  return entry.insideArchive
    ? `「${entry.insideArchive} / ${entry.filename}」`
    : `「${entry.filename}」`;
}

const ARCHIVES = new Set(['zip', 'rar', '7z']);
/** Problems that mean a file's content was not read: it could be anything, the form included. */
const UNREAD = new Set<DocumentProblem['kind']>([
  'unreadable',
  'encrypted',
  'too_large',
  'unsupported',
]);

/**
 * Files sent as a link, by the marks of the links themselves: QQ Mail's and 163's 超大附件
 * (云附件) and cloud drives' shares. Too big for an attachment, a scanned form often goes this
 * way. Not the words alone: a signature's 公司网盘 is no link.
 */
const FILE_LINK =
  /\/ftn\/|ftnExs_download|large-attachment|pan\.baidu\.com\/s\/|(?:aliyundrive|alipan)\.com\/s\/|1drv\.ms\/|sharepoint\.com\/:/i;

/**
 * Why some content sent was never looked at (`unseenContent`), or files sent as a link: for the
 * missing-material rules, not for what was found.
 */
export function unseenOrLinked(submission: Submission): string | null {
  const unseen = unseenContent(submission);
  if (unseen) return unseen;
  return FILE_LINK.test(submission.mail.text)
    ? '邮件正文中有超大附件或网盘的下载链接，其中的文件未能读取'
    : null;
}

/**
 * Why some attached content was never looked at — the MIME structure did not parse, an archive
 * was not (fully) unpacked, or a file could not be read (damaged, encrypted, too large, of a
 * kind not read) — or null. Then "not found" is a guess, and DESIGN.md §2 never rejects on a
 * guess: the missing-material rules fail as `review` instead of `error`.
 */
export function unseenContent({ mail, documents }: Submission): string | null {
  if (mail.structureError) return '邮件结构无法解析，附件未能读取';
  const archive = documents.find((d) => ARCHIVES.has(d.detectedType) && d.problems.length > 0);
  if (archive) return `压缩包${quoteFile(archive.entry)}未能完整解压`;
  const unread = documents.find((d) => d.problems.some((p) => UNREAD.has(p.kind)));
  return unread ? `附件${quoteFile(unread.entry)}无法读取` : null;
}

/**
 * A file the assembly placed nowhere (no name and no content made it the form, report, logo or
 * scan) that `could` be the one not found, and whose name does not say it is something else
 * (`otherwise`: evidence, say): then "not found" is a guess too. A second unnamed picture beside
 * the logo, a grey scan with no seal to see, a scanned PDF with a text layer.
 */
export function unplaced(
  submission: Submission,
  could: (d: DocumentRead) => boolean,
  otherwise: string[],
): DocumentRead | undefined {
  const { form, report, logo, scan, documents } = submission;
  const placed = new Set([form?.doc, report?.doc, logo, scan]);
  return documents.find((d) => !placed.has(d) && could(d) && !nameHas(d.entry.filename, otherwise));
}

/**
 * A "not found" failure: `error`, or `review` with the reason when content went unseen or came
 * as a link (`unseenOrLinked`), or a file placed nowhere may be the one (`maybe`, from
 * `unplaced`).
 */
export function missing(
  submission: Submission,
  message: string,
  maybe?: DocumentRead,
): RuleOutcome {
  const unseen = unseenOrLinked(submission);
  if (unseen)
    return fail('review', `${message}（${unseen}，材料可能在其中，需人工核查）`, { unseen });
  return maybe
    ? fail('review', `${message}（${quoteFile(maybe.entry)}可能即是，未能确定，需人工核查）`, {
        maybe: maybe.entry.filename,
      })
    : fail('error', message, {});
}

/**
 * A failure that would reject, about a file the assembly only took for what it judges (no name
 * says so, or another file may be the one): with a `doubt`, it is a guess (DESIGN.md §2) and a
 * person decides; without, it is certain. `advice` (how to fix it, with its own punctuation)
 * goes only with the rejection: the applicant of a reviewed submission is not asked to resend.
 */
export function unlessDoubt(
  doubt: string | null,
  message: string,
  details: Record<string, unknown> = {},
  advice = '',
): RuleOutcome {
  return doubt
    ? fail('review', `${message}（${doubt}，需人工核查）`, { ...details, doubt })
    : fail('error', `${message}${advice}`, details);
}

/**
 * Why the picture taken for the logo may not be the one to judge, or null when its name says it
 * is the logo and no other picture's name says so too (横版 and 竖版, 原图 and 压缩: the other
 * may be the one that meets the rules; a 商标注册证 is evidence, not a second logo). The rules'
 * messages name the logo's file, so this does not.
 */
export function logoDoubt(s: Submission, kw: ContestProfile['filenameKeywords']): string | null {
  const { logo } = s;
  if (!logo) return null;
  if (!nameHas(logo.entry.filename, kw.logo)) return '其文件名未表明是商标图片，系按其余附件推定';
  const other = besideLogo(s, kw).find((d) => d.image && nameHas(d.entry.filename, kw.logo));
  return other ? `另附的图片${quoteFile(other.entry)}也标为商标图片，未判定以哪张为准` : null;
}

/**
 * The files besides the logo that may be a logo too: not the scan, not a copy of the logo, and
 * not named as the scan or as evidence.
 */
export function besideLogo(s: Submission, kw: ContestProfile['filenameKeywords']): DocumentRead[] {
  return s.documents.filter(
    (d) =>
      d !== s.logo &&
      d !== s.scan &&
      d.entry.sha256 !== s.logo?.entry.sha256 &&
      !nameHas(d.entry.filename, [...kw.scan, ...kw.evidence]),
  );
}
