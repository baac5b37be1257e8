// Decides which attachment is the form, the report, the logo and the stamped scan. Applicants
// name files any way they like (or not at all: `附件1.docx`), so names are a hint and content
// decides: the form is the Word file with the most form labels, the report the long text.
import { type ContestProfile, nameHas } from '../config/contest.js';
import { countChars } from '../documents/count.js';
import { detectRedSeal } from '../documents/image.js';
import type {
  DocumentRead,
  MessageKind,
  ParsedMail,
  Role,
  SubjectParts,
  Submission,
} from '../types.js';
import { readFormFields } from './form-fields.js';
import { reportFromForm } from './report-section.js';
import { parseSubject } from './subject.js';

const WORD = new Set(['docx', 'docm', 'doc', 'wps']);
const IMAGE = new Set(['jpeg', 'png', 'gif', 'webp', 'bmp', 'tiff']);
const ARCHIVE = new Set(['zip', 'rar', '7z']);
const DOCUMENT = new Set([...WORD, 'pdf', 'xlsx', 'xls', 'pptx', 'ppt', 'video']);
/** A separate report shorter than this is only taken when its name says "报告". */
export const LONG_TEXT = 1000;
/** A file whose text could be the report: a Word file or a PDF. */
export const isTextDocument = (d: DocumentRead) =>
  WORD.has(d.detectedType) || d.detectedType === 'pdf';

type Keywords = ContestProfile['filenameKeywords'];
const named = (doc: DocumentRead, words: string[]) => nameHas(doc.entry.filename, words);
const isImage = (d: DocumentRead) => IMAGE.has(d.detectedType);
const isImageOnlyPdf = (d: DocumentRead) =>
  d.detectedType === 'pdf' && !!d.pdf && d.pdf.pages > 0 && d.pdf.imageOnlyPages === d.pdf.pages;

function pickForm(docs: DocumentRead[], profile: ContestProfile, kw: Keywords) {
  const candidates = docs
    .filter((d) => WORD.has(d.detectedType))
    .map((doc) => ({
      doc,
      ...(doc.word ? readFormFields(doc.word, profile) : { fields: {}, labelsFound: 0 }),
    }))
    .filter((c) => c.labelsFound >= 2 || named(c.doc, kw.form))
    .sort(
      (a, b) =>
        Number(named(b.doc, kw.form)) - Number(named(a.doc, kw.form)) ||
        b.labelsFound - a.labelsFound,
    );
  return candidates[0] ?? null;
}

function pickReport(
  docs: DocumentRead[],
  form: DocumentRead | null,
  kw: Keywords,
): Submission['report'] {
  const candidates = docs
    .filter((d) => d !== form && isTextDocument(d))
    .filter((d) => !named(d, kw.form) && !named(d, kw.scan) && !named(d, kw.evidence))
    .map((doc) => {
      const text = doc.word?.text ?? doc.pdf?.text ?? '';
      return { doc, text, count: countChars(text), keyword: named(doc, kw.report) };
    })
    .filter((c) => c.count.total > 0 && (c.keyword || c.count.total >= LONG_TEXT))
    .sort(
      (a, b) =>
        Number(b.keyword) - Number(a.keyword) ||
        Number(WORD.has(b.doc.detectedType)) - Number(WORD.has(a.doc.detectedType)) ||
        b.count.total - a.count.total,
    );
  const best = candidates[0];
  return best ? { source: 'attachment', doc: best.doc, text: best.text, count: best.count } : null;
}

async function hasRedSeal(doc: DocumentRead): Promise<boolean> {
  if (!doc.image) return false;
  // Stored on the read so SEAL_NOT_DETECTED (a synchronous rule) sees the same answer.
  if (doc.image.redSeal === null) doc.image.redSeal = await detectRedSeal(doc.entry.content);
  return doc.image.redSeal === true;
}

/** A scanned page is A4-like (√2 ≈ 1.41, either way up); logos are mostly square. */
function pageLike(d: DocumentRead): boolean {
  if (!d.image) return false;
  const ratio = Math.max(d.image.width, d.image.height) / Math.min(d.image.width, d.image.height);
  return ratio >= 1.2 && ratio <= 1.6;
}

/** Among several unnamed pictures: the one without a red seal, else the one that is no page. */
async function guessLogo(candidates: DocumentRead[]): Promise<DocumentRead | undefined> {
  const unsealed: DocumentRead[] = [];
  for (const d of candidates) if (!(await hasRedSeal(d))) unsealed.push(d);
  if (unsealed.length === 1) return unsealed[0];
  // Many logos are red (banks' especially): the page shape tells a seal scan from a red logo.
  const notPages = candidates.filter((d) => !pageLike(d));
  return notPages.length === 1 ? notPages[0] : undefined;
}

async function pickLogoAndScan(docs: DocumentRead[], kw: Keywords) {
  const images = docs.filter(isImage);
  const unnamed = images.filter((d) => !named(d, kw.scan) && !named(d, kw.evidence));
  // 商标注册证书.jpg names the logo too: a name that also says evidence comes after one that
  // does not, then JPEG before other formats.
  const likelier = (a: DocumentRead, b: DocumentRead) =>
    Number(named(a, kw.evidence)) - Number(named(b, kw.evidence)) ||
    Number(b.detectedType === 'jpeg') - Number(a.detectedType === 'jpeg');
  const logo =
    images.filter((d) => named(d, kw.logo)).sort(likelier)[0] ??
    (unnamed.length === 1 ? unnamed[0] : undefined) ??
    docs.find(
      (d) => named(d, kw.logo) && !DOCUMENT.has(d.detectedType) && !ARCHIVE.has(d.detectedType),
    ) ??
    (unnamed.length > 1 ? await guessLogo(unnamed) : undefined);
  const others = docs.filter((d) => d !== logo);
  // Past the names, a scan is guessed from what it looks like; a certificate or a screenshot
  // (named as evidence) can look the same, and is left for SCAN_MISSING to ask about.
  const unnamedOthers = others.filter((d) => !named(d, kw.evidence));
  let scan =
    others.find((d) => (d.detectedType === 'pdf' || isImage(d)) && named(d, kw.scan)) ??
    unnamedOthers.find((d) => isImageOnlyPdf(d) && !named(d, kw.report));
  if (!scan) {
    const pagesFirst = others
      .filter(isImage)
      .sort((a, b) => Number(pageLike(b)) - Number(pageLike(a)));
    for (const d of pagesFirst) {
      // Every picture's seal is looked at, the evidence's too: SCAN_MISSING asks about a sealed one.
      if ((await hasRedSeal(d)) && unnamedOthers.includes(d)) {
        scan = d;
        break;
      }
    }
  }
  if (scan && isImage(scan)) await hasRedSeal(scan);
  return { logo: logo ?? null, scan: scan ?? null };
}

/** Builds the submission: subject parts, roles of every file, form fields, report text. */
export async function assemble(
  mail: ParsedMail,
  kind: MessageKind,
  documents: DocumentRead[],
  receivedAt: Date,
  profile: ContestProfile,
  /** What the caller knows already: the subject it parsed, why receivedAt is an estimate. */
  known: { subject?: SubjectParts; receivedAtDoubt?: string | null } = {},
): Promise<Submission> {
  const kw = profile.filenameKeywords;
  const form = pickForm(documents, profile, kw);
  const report =
    pickReport(documents, form?.doc ?? null, kw) ??
    (form ? reportFromForm(form.doc, profile) : null);
  const { logo, scan } = await pickLogoAndScan(documents, kw);
  const roles = new Map<DocumentRead, Role>();
  const evidence: DocumentRead[] = [];
  for (const doc of documents) {
    let role: Role;
    if (doc === form?.doc) role = 'form';
    else if (report?.source === 'attachment' && doc === report.doc) role = 'report';
    else if (doc === logo) role = 'logo';
    else if (doc === scan) role = 'scan';
    else if (ARCHIVE.has(doc.detectedType)) role = 'archive';
    else if (named(doc, kw.evidence) || DOCUMENT.has(doc.detectedType) || isImage(doc))
      role = 'evidence';
    else role = 'other';
    roles.set(doc, role);
    if (role === 'evidence') evidence.push(doc);
  }
  return {
    receivedAt,
    receivedAtDoubt: known.receivedAtDoubt ?? null,
    kind,
    mail,
    subject: known.subject ?? parseSubject(mail.subject, profile),
    documents,
    roles,
    form: form ? { doc: form.doc, fields: form.fields, labelsFound: form.labelsFound } : null,
    report,
    logo,
    scan,
    evidence,
  };
}
