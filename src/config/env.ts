// The only reader of process.env. Every variable is documented in config/.env.example.
// One zod schema per concern; all problems are collected and reported together at start-up.
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** An empty value (`LOG_LEVEL=` in an env file) is an unset one, as the other variables take it. */
const unsetIfBlank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const core = z.object({
  DATA_DIR: z.preprocess(unsetIfBlank, z.string().default('./data')),
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(
        /^(postgres(ql)?:\/\/|sqlite:)/,
        'must start with postgres://, postgresql:// or sqlite:',
      )
      .optional(),
  ),
  CONTEST_FILE: optionalText,
  LOG_LEVEL: z.preprocess(
    unsetIfBlank,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

// IMAP is configured as a whole or not at all: with no IMAP_HOST the drop folder is used.
const imap = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('drop-folder') }),
  z.object({
    mode: z.literal('imap'),
    host: z.string().min(1),
    port: port.default(993),
    secure: bool.default(true),
    user: z.string().min(1, 'is required when IMAP_HOST is set'),
    password: z.string().min(1, 'is required when IMAP_HOST is set'),
    mailboxes: z
      .string()
      .default('INBOX')
      .transform((v) =>
        v
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
      ),
  }),
]);

// SMTP likewise: with no SMTP_HOST replies are written to DATA_DIR/outbox/ as .eml files.
const smtp = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('outbox') }),
  z.object({
    mode: z.literal('smtp'),
    host: z.string().min(1),
    port: port.default(587),
    secure: bool.default(false),
    user: optionalText,
    password: optionalText,
  }),
]);

const web = z.object({
  host: optionalText,
  port: port.default(8080),
  adminUser: z.string().min(1).default('admin'),
  adminPassword: optionalText,
  /** The reverse proxy's addresses (`127.0.0.1`, `10.0.0.0/8`, comma-separated), believed for X-Forwarded-*. */
  trustProxy: optionalText,
});

export type ImapConfig = z.infer<typeof imap>;
export type SmtpConfig = z.infer<typeof smtp>;
export interface Env {
  dataDir: string;
  redisUrl: string | undefined;
  databaseUrl: string;
  contestFile: string | undefined;
  logLevel: z.infer<typeof core>['LOG_LEVEL'];
  imap: ImapConfig;
  smtp: SmtpConfig;
  replyFrom: string | undefined;
  web: z.infer<typeof web>;
}

export class ConfigError extends Error {
  readonly code = 'ConfigError';
  constructor(
    readonly problems: string[],
    heading = 'configuration invalid',
  ) {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Source = Record<string, string | undefined>;

function issues(source: Source, names: Record<string, string>, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    const name = names[key] ?? key;
    const value = source[name];
    const got =
      value === undefined || value === '' ? 'is required' : `${i.message} (got "${value}")`;
    return `${name}: ${i.code === 'custom' || i.code === 'too_small' ? i.message : got}`;
  });
}

/** CONTEST_FILE alone, for `intake check`, which needs none of the rest. */
export function contestFileOf(source: Source = process.env): string | undefined {
  return optionalText.parse(source.CONTEST_FILE);
}

export function loadEnv(source: Source = process.env): Env {
  const problems: string[] = [];
  const c = core.safeParse(source);
  if (!c.success) problems.push(...issues(source, {}, c.error));

  const i = imap.safeParse(
    source.IMAP_HOST
      ? {
          mode: 'imap',
          host: source.IMAP_HOST,
          port: source.IMAP_PORT || undefined,
          secure: source.IMAP_SECURE || undefined,
          user: source.IMAP_USER ?? '',
          password: source.IMAP_PASSWORD ?? '',
          mailboxes: source.IMAP_MAILBOXES || undefined,
        }
      : { mode: 'drop-folder' },
  );
  if (!i.success) {
    problems.push(
      ...issues(
        source,
        { port: 'IMAP_PORT', secure: 'IMAP_SECURE', user: 'IMAP_USER', password: 'IMAP_PASSWORD' },
        i.error,
      ),
    );
  }

  const s = smtp.safeParse(
    source.SMTP_HOST
      ? {
          mode: 'smtp',
          host: source.SMTP_HOST,
          port: source.SMTP_PORT || undefined,
          secure: source.SMTP_SECURE || undefined,
          user: source.SMTP_USER,
          password: source.SMTP_PASSWORD,
        }
      : { mode: 'outbox' },
  );
  if (!s.success)
    problems.push(...issues(source, { port: 'SMTP_PORT', secure: 'SMTP_SECURE' }, s.error));

  const w = web.safeParse({
    host: source.WEB_HOST,
    port: source.WEB_PORT || undefined,
    adminUser: source.ADMIN_USER || undefined,
    adminPassword: source.ADMIN_PASSWORD,
    trustProxy: source.WEB_TRUST_PROXY,
  });
  if (!w.success)
    problems.push(...issues(source, { port: 'WEB_PORT', adminUser: 'ADMIN_USER' }, w.error));

  const replyFrom = source.REPLY_FROM?.trim() || undefined;
  if (
    replyFrom !== undefined &&
    !/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>\s*$/.test(replyFrom)
  ) {
    problems.push(
      'REPLY_FROM: must be an address such as intake@example.org or "名称 <intake@example.org>"',
    );
  }
  if (s.success && s.data.mode === 'smtp' && !replyFrom) {
    problems.push('REPLY_FROM: is required when SMTP_HOST is set');
  }

  if (problems.length > 0 || !c.success || !i.success || !s.success || !w.success) {
    throw new ConfigError(problems);
  }
  const dataDir = path.resolve(c.data.DATA_DIR);
  return {
    dataDir,
    redisUrl: c.data.REDIS_URL,
    databaseUrl: c.data.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'intake.sqlite')}`,
    contestFile: c.data.CONTEST_FILE,
    logLevel: c.data.LOG_LEVEL,
    imap: i.data,
    smtp: s.data,
    replyFrom,
    web: w.data,
  };
}
