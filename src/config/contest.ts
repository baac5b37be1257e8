// The contest profile: every number and word list the rules use, read from config/ and
// validated at start-up, so next year's campaign changes a file, not the code.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './env.js';

const words = z.array(z.string().min(1)).min(1);
const count = z.number().int().positive();

const contestSchema = z.object({
  name: z.string().min(1),
  caseNumberPrefix: z.string().regex(/^[0-9A-Za-z-]+$/),
  mailbox: z.string().optional(),
  deadline: z.object({
    date: z.iso.date(),
    utcOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
    graceMinutes: z.number().int().min(0).default(0),
  }),
  implementedFrom: z.string().regex(/^\d{4}-\d{2}$/, 'implementedFrom must look like 2023-01'),
  subject: z.object({
    separators: words,
    templateTexts: words,
    replyPrefixes: words,
    /**
     * Words a mail gateway puts in brackets before a subject (`[外部邮件]`, `[EXTERNAL]`,
     * `***SPAM***`): not the applicant's, so stripped like reply prefixes.
     */
    gatewayTags: z.array(z.string().min(1)).default([]),
  }),
  logo: z
    .object({
      format: z.enum(['jpeg', 'png']),
      maxBytes: count,
      minWidth: count,
      minHeight: count,
      maxWidth: count,
      maxHeight: count,
    })
    .refine((l) => l.minWidth <= l.maxWidth && l.minHeight <= l.maxHeight, {
      message: 'logo minimum dimensions must not exceed the maximum',
    }),
  report: z
    .object({
      minChars: count,
      maxChars: count,
      reviewMarginPercent: z.number().min(0).max(50),
      formSectionLabels: words,
      sections: z.array(z.object({ name: z.string().min(1), keywords: words })),
    })
    .refine((r) => r.minChars < r.maxChars, { message: 'report.minChars must be below maxChars' }),
  form: z.object({
    fields: z.object({
      caseName: z.object({ required: z.boolean(), labels: words }),
      organization: z.object({ required: z.boolean(), labels: words }),
      contactName: z.object({ required: z.boolean(), labels: words }),
      contactPhone: z.object({ required: z.boolean(), labels: words }),
      contactEmail: z.object({ required: z.boolean(), labels: words }),
      implementedAt: z.object({ required: z.boolean(), labels: words }),
      applicantType: z.object({ required: z.boolean(), labels: words }),
      direction: z.object({ required: z.boolean(), labels: words }),
    }),
  }),
  filenameKeywords: z.object({
    form: words,
    report: words,
    logo: words,
    scan: words,
    evidence: words,
  }),
  applicantTypes: words,
  directions: z
    .array(
      z.object({
        name: z.string().min(1),
        subDirections: z.array(z.object({ name: z.string().min(1), keywords: words })).min(1),
      }),
    )
    .min(1),
  replies: z.object({ perRecipientPerHour: count, perRecipientPerDay: count }),
  limits: z.object({
    maxAttachmentBytes: count,
    archive: z.object({
      maxEntries: count,
      maxEntryBytes: count,
      maxTotalBytes: count,
      maxRatio: count,
      maxDepth: count,
    }),
    pdf: z.object({ timeoutMs: count, maxMemoryMb: count, maxPages: count }),
    image: z.object({ maxPixels: count }),
    documentTimeoutMs: count,
  }),
});

export type ContestProfile = z.infer<typeof contestSchema> & {
  /** The last instant a submission counts as on time (deadline day's end plus grace). */
  deadlineAt: Date;
};
export type FormFieldName = keyof ContestProfile['form']['fields'];

/** Whether a file name holds one of `keywords` (a `filenameKeywords` list), in any letter case. */
export function nameHas(filename: string, keywords: string[]): boolean {
  const lower = filename.toLowerCase();
  return keywords.some((k) => lower.includes(k.toLowerCase()));
}

export const DEFAULT_CONTEST_FILE = new URL('../../config/contest-2025.json', import.meta.url)
  .pathname;

export function parseContest(json: unknown, source = 'contest profile'): ContestProfile {
  const parsed = contestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const { date, utcOffset, graceMinutes } = parsed.data.deadline;
  const endOfDay = new Date(`${date}T23:59:59.999${utcOffset}`);
  return {
    ...parsed.data,
    deadlineAt: new Date(endOfDay.getTime() + graceMinutes * 60_000),
  };
}

export function loadContest(file: string = DEFAULT_CONTEST_FILE): ContestProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read the contest profile ${file}: ${(err as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid JSON: ${(err as Error).message}`]);
  }
  return parseContest(json, file);
}
