// Shapes shared along the validation pipeline: parse → unpack/read → assemble → rules → verdict.
// DESIGN.md §4 fixes the JSON of `CheckResult`; everything else is internal.
import type { Readable } from 'node:stream';
import type { ContestProfile } from './config/contest.js';

// ── mail (src/mail/parse.ts) ─────────────────────────────────────────────────────────────────

/**
 * A raw message that is read as a stream, as often as needed (a stored blob): the parser never
 * holds all of it, where a Buffer would be the whole message for the whole parse.
 */
export interface ByteSource {
  size: number;
  open(): Readable;
}

export interface Address {
  name: string;
  address: string;
}

export interface MailAttachment {
  /** Decoded file name (GBK/Big5 encoded-words and RFC 2231 repaired); never empty. */
  filename: string;
  /** Content-Type as declared by the sender, lower-cased, without parameters. */
  contentType: string;
  content: Buffer;
}

export interface ParsedMail {
  /** Message-ID with its angle brackets, or null when absent. */
  messageId: string | null;
  /** Decoded subject (raw 8-bit GBK headers recovered); '' when absent. */
  subject: string;
  from: Address | null;
  replyTo: Address | null;
  to: Address[];
  /** The Date header when it parsed; never used for the deadline. */
  date: Date | null;
  /** Dates of the Received: headers, newest first. */
  receivedDates: Date[];
  /** Header name (lower case) → every value, raw but unfolded. */
  headers: Record<string, string[]>;
  contentType: string;
  text: string;
  /** Every part with a file name, inline or not, in MIME order. */
  attachments: MailAttachment[];
  /** Set when the submission was read from a forwarded message/rfc822 part. */
  forwarded: boolean;
  /** Things repaired or doubted while parsing, in Chinese, shown to organisers. */
  warnings: string[];
  /** Set when the MIME structure could not be parsed: its attachments were not read at all. */
  structureError?: string;
}

export type MessageKind = 'submission' | 'inquiry' | 'auto_reply';

// ── documents (src/documents/) ───────────────────────────────────────────────────────────────

export type DetectedType =
  | 'docx'
  | 'docm'
  | 'doc'
  | 'wps'
  | 'pdf'
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'bmp'
  | 'tiff'
  | 'webp'
  | 'zip'
  | 'rar'
  | '7z'
  | 'xlsx'
  | 'xls'
  | 'pptx'
  | 'ppt'
  | 'exe'
  | 'text'
  | 'video'
  | 'unknown';

export type Role = 'form' | 'report' | 'logo' | 'scan' | 'evidence' | 'archive' | 'other';

/** One file of the submission: an attachment, or an entry of an archive attachment. */
export interface FileEntry {
  filename: string;
  declaredType: string | null;
  /**
   * The bytes. Once the file is stored (readDocuments' `store`), a reader may move them to
   * another thread instead of copying them (the PDF reader does): `content` is empty after
   * that, `bytes` and `sha256` stay.
   */
  content: Buffer;
  bytes: number;
  sha256: string;
  /** The archive's file name (outermost first, joined by ' / ') or null. */
  insideArchive: string | null;
  /** For an archive entry: its sanitised path inside the archive (folders kept), for display. */
  archivePath?: string;
}

export interface DocumentProblem {
  kind: 'unreadable' | 'encrypted' | 'suspicious' | 'unsupported' | 'too_large';
  /** In Chinese, for the applicant: what is wrong and what to do. */
  message: string;
}

export interface TableCell {
  text: string;
  /** Checkbox choices inside the cell, e.g. ☑ 持牌金融机构 → { label, checked: true }. */
  choices: { label: string; checked: boolean }[];
}

export interface WordContent {
  /** Body paragraphs in order (tables excluded), each trimmed of trailing white space. */
  paragraphs: string[];
  /** Tables in order; rows of cells (merged cells repeated once). */
  tables: TableCell[][][];
  /** Where each table stands among the paragraphs: how many of them come before it. */
  tableStarts: number[];
  /** Everything Word counts for 字数: body paragraphs and table cells, no headers/footers/notes. */
  text: string;
  /** Headings (outline levels) when the format keeps them. */
  headings: string[];
}

export interface PdfContent {
  pages: number;
  /** Pages with no text layer (a scan). */
  imageOnlyPages: number;
  text: string;
  /** Red-seal heuristic on the rendered first/last page; null or absent when not evaluated. */
  redSeal?: boolean | null;
}

export interface ImageContent {
  format: string;
  width: number;
  height: number;
  /** Red-seal heuristic for scans; null when not evaluated. */
  redSeal: boolean | null;
  /** EXIF orientation 5–8 (shown turned by 90°, so displayed width = height); absent otherwise. */
  orientation?: number;
}

export interface DocumentRead {
  entry: FileEntry;
  detectedType: DetectedType;
  word?: WordContent;
  pdf?: PdfContent;
  image?: ImageContent;
  /** For archives: the entries read out of it appear as separate DocumentReads. */
  problems: DocumentProblem[];
}

// ── assembly (src/submission/) ───────────────────────────────────────────────────────────────

export interface SubjectParts {
  raw: string;
  /** Subject after NFKC and prefix stripping. */
  normalized: string;
  organization: string | null;
  title: string | null;
  /** Reply and forward prefixes (the applicant's client's: a warning says they were ignored). */
  strippedPrefixes: string[];
  /** Tags a mail gateway put in front (`[外部邮件]`): not the applicant's, so no warning. */
  strippedTags: string[];
  /** The case number when the subject is that of one of our notices (a reply to it), else null. */
  answersCase: string | null;
}

export type FormFields = Partial<
  Record<
    | 'caseName'
    | 'organization'
    | 'contactName'
    | 'contactPhone'
    | 'contactEmail'
    | 'implementedAt'
    | 'direction'
    | 'applicantType',
    string
  >
>;

export interface CharCount {
  total: number;
  cjk: number;
  punctuation: number;
  words: number;
}

export interface Submission {
  receivedAt: Date;
  /** Why receivedAt is only an estimate (no server recorded it), if it is; see receivedAtDoubt. */
  receivedAtDoubt?: string | null;
  kind: MessageKind;
  mail: ParsedMail;
  subject: SubjectParts;
  documents: DocumentRead[];
  roles: Map<DocumentRead, Role>;
  form: { doc: DocumentRead; fields: FormFields; labelsFound: number } | null;
  report: {
    source: 'attachment' | 'form';
    doc: DocumentRead;
    text: string;
    count: CharCount;
    /** Of the count, 字 in tables: a form's report section counts its tables to the form's end. */
    inTables?: number;
  } | null;
  logo: DocumentRead | null;
  scan: DocumentRead | null;
  evidence: DocumentRead[];
}

// ── rules and verdict (src/rules/) ───────────────────────────────────────────────────────────

export type Severity = 'error' | 'review' | 'warning' | 'info';

export type RuleCode =
  | 'SUBJECT_FORMAT'
  | 'LATE'
  | 'FORM_MISSING'
  | 'LOGO_MISSING'
  | 'LOGO_FORMAT'
  | 'LOGO_SIZE'
  | 'LOGO_DIMENSIONS'
  | 'SCAN_MISSING'
  | 'REPORT_LENGTH'
  | 'REPORT_NOT_FOUND'
  | 'FORM_FIELDS_INCOMPLETE'
  | 'SUBJECT_FORM_MISMATCH'
  | 'IMPLEMENTATION_DATE'
  | 'ATTACHMENT_UNREADABLE'
  | 'ATTACHMENT_SUSPICIOUS'
  | 'REPORT_SECTIONS'
  | 'SEAL_NOT_DETECTED'
  | 'SENDER_UNVERIFIED'
  | 'RESUBMISSION'
  | 'DUPLICATE';

export interface Finding {
  rule: RuleCode;
  severity: Severity;
  passed: boolean;
  /** In Chinese: what was found and what is required. */
  message: string;
  details: Record<string, unknown>;
}

export interface Rule {
  code: RuleCode;
  /** The severity of a failure; a rule may lower it per finding (REPORT_LENGTH near a bound). */
  severity: Severity;
  check(submission: Submission, profile: ContestProfile): Omit<Finding, 'rule'> | Finding;
}

export type Verdict = 'accepted' | 'rejected' | 'needs_review' | 'not_submission';

/** The JSON of `intake check --json` (DESIGN.md §4). */
export interface CheckResult {
  verdict: Verdict;
  kind: MessageKind;
  receivedAt: string;
  messageId: string | null;
  subject: { raw: string; organization: string | null; title: string | null };
  form: { filename: string; fields: FormFields } | null;
  report: { source: 'attachment' | 'form'; filename: string; chars: number } | null;
  logo: {
    filename: string;
    format: string;
    bytes: number;
    /** null when the picture could not be read (its rules say why). */
    width: number | null;
    height: number | null;
  } | null;
  attachments: {
    filename: string;
    detectedType: DetectedType;
    role: Role;
    bytes: number;
    sha256: string;
    insideArchive: string | null;
  }[];
  findings: Finding[];
  warnings: string[];
}
