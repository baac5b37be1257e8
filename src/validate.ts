// The validation core (DESIGN.md §3): raw bytes + receive time + contest profile → result. Pure:
// no Redis, no database, so the worker and `intake check` run exactly the same code (the
// dashboard's reads, `rereadMessage`, pass `store` to write a message's files to the blob store).
import type { ContestProfile } from './config/contest.js';
import { readDocuments, type StoreFile } from './documents/index.js';
import { classify } from './mail/classify.js';
import { parseMail } from './mail/parse.js';
import { runRules } from './rules/index.js';
import { decideVerdict } from './rules/verdict.js';
import { assemble } from './submission/assemble.js';
import { parseSubject } from './submission/subject.js';
import { isoWithOffset } from './submission/time.js';
import type {
  ByteSource,
  CheckResult,
  Finding,
  MessageKind,
  ParsedMail,
  Submission,
} from './types.js';

export function validateMessage(
  raw: Buffer | ByteSource,
  receivedAt: Date,
  profile: ContestProfile,
  opts: ValidateOptions = {},
): Promise<{ result: CheckResult; submission: Submission }> {
  const started = performance.now();
  const rawBytes = Buffer.isBuffer(raw) ? raw.length : raw.size;
  // Not an async function: its frame would keep a raw Buffer (41 MB for a 30 MB attachment)
  // alive until the documents are read; once parsed, it is not needed.
  return parseMail(raw).then((mail) => {
    opts.parsed?.(rawBytes);
    return validateParsed(mail, started, receivedAt, profile, opts);
  });
}

export interface ValidateOptions {
  ownAddresses?: string[];
  timings?: StageTimings;
  /** Called once the raw bytes are parsed and no longer held (evaluator.ts frees them then). */
  parsed?: (rawBytes: number) => void;
  /** Keeps each file (attachment or archive entry) as it is met; see StoreFile. */
  store?: StoreFile;
  /** Why the receive time is only an estimate (`receivedAtDoubt`), when it is. */
  receivedAtDoubt?: string | null;
}

async function validateParsed(
  mail: ParsedMail,
  started: number,
  receivedAt: Date,
  profile: ContestProfile,
  opts: ValidateOptions,
): Promise<{ result: CheckResult; submission: Submission }> {
  let t = started;
  // Wall milliseconds per stage, for the pipeline's log and `npm run bench`; cheap enough to keep.
  const lap = (stage: keyof StageTimings) => {
    const now = performance.now();
    if (opts.timings) opts.timings[stage] = Math.round(now - t);
    t = now;
  };
  lap('parse');
  const subject = parseSubject(mail.subject, profile);
  const kind = classify(mail, {
    ownAddresses: opts.ownAddresses,
    separators: profile.subject.separators,
    answersCase: subject.answersCase,
  });
  // Robots' attachments (bounced copies of someone's mail) are not read at all.
  const documents =
    kind === 'auto_reply' ? [] : await readDocuments(mail.attachments, profile, opts.store);
  lap('documents');
  const submission = await assemble(mail, kind, documents, receivedAt, profile, {
    subject,
    receivedAtDoubt: opts.receivedAtDoubt,
  });
  const findings = kind === 'submission' ? runRules(submission, profile) : [];
  lap('rules');
  return { result: toCheckResult(submission, kind, findings, profile), submission };
}

export interface StageTimings {
  parse?: number;
  documents?: number;
  /** Assembly and the rules. */
  rules?: number;
}

/** The JSON of DESIGN.md §4. */
export function toCheckResult(
  s: Submission,
  kind: MessageKind,
  findings: Finding[],
  profile: ContestProfile,
): CheckResult {
  const warnings = [...s.mail.warnings];
  if (s.subject.strippedPrefixes.length > 0) {
    warnings.push(
      `邮件主题带有回复/转发前缀「${s.subject.strippedPrefixes.join(' ')}」，检查时已忽略`,
    );
  }
  const logoImage = s.logo?.image;
  return {
    verdict: decideVerdict(kind, findings),
    kind,
    receivedAt: isoWithOffset(s.receivedAt, profile.deadline.utcOffset),
    messageId: s.mail.messageId,
    subject: { raw: s.mail.subject, organization: s.subject.organization, title: s.subject.title },
    form: s.form ? { filename: s.form.doc.entry.filename, fields: s.form.fields } : null,
    report: s.report
      ? {
          source: s.report.source,
          filename: s.report.doc.entry.filename,
          chars: s.report.count.total,
        }
      : null,
    logo: s.logo
      ? {
          filename: s.logo.entry.filename,
          format: logoImage?.format ?? s.logo.detectedType,
          bytes: s.logo.entry.bytes,
          width: logoImage?.width ?? null,
          height: logoImage?.height ?? null,
        }
      : null,
    attachments: s.documents.map((d) => ({
      filename: d.entry.filename,
      detectedType: d.detectedType,
      role: s.roles.get(d) ?? 'other',
      bytes: d.entry.bytes,
      sha256: d.entry.sha256,
      insideArchive: d.entry.insideArchive,
    })),
    findings,
    warnings,
  };
}
