// Delivers a composed reply: over SMTP, or, with no SMTP configured, as an .eml file in
// DATA_DIR/outbox/. The only importer of nodemailer's transport and composer. The bytes are
// built once and sent raw, so what the outbox holds is exactly what SMTP would carry.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { SmtpConfig } from '../config/env.js';
import type { ComposedReply } from './compose.js';
import { bareAddress } from './reply-guard.js';

export interface Sender {
  mode: 'smtp' | 'outbox';
  deliver(reply: ComposedReply): Promise<{ response: string }>;
  close(): void;
}

export function buildRaw(reply: ComposedReply): Promise<Buffer> {
  const mail = new MailComposer({
    from: reply.from,
    to: reply.to,
    subject: reply.subject,
    text: reply.text,
    html: reply.html,
    messageId: reply.messageId,
    inReplyTo: reply.inReplyTo ?? undefined,
    references: reply.references ?? undefined,
    date: reply.date,
    headers: reply.headers,
    textEncoding: 'base64',
  });
  return new Promise((resolve, reject) =>
    mail.compile().build((err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out))),
  );
}

export function createSender(config: SmtpConfig, opts: { outboxDir: string }): Sender {
  if (config.mode === 'outbox') return outboxSender(opts.outboxDir);
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    // Bounded waits: a hung relay must fail the attempt (and be retried) well within the
    // reply job's lock, not hold it.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Replies come in bursts (a deadline night): a few connections kept open and reused, not a
    // connect, greeting, EHLO (and TLS, and login) for each one. One idle for 20 s is closed
    // before the socket timeout would end it with an error; one the relay closes is replaced.
    pool: true,
    maxConnections: 3,
    idleTimeout: 20_000,
  });
  return {
    mode: 'smtp',
    async deliver(reply) {
      const raw = await buildRaw(reply);
      const info = await transport.sendMail({
        envelope: { from: bareAddress(reply.from), to: [bareAddress(reply.to)] },
        raw,
      });
      return { response: String(info.response ?? '') };
    },
    close: () => transport.close(),
  };
}

function outboxSender(dir: string): Sender {
  return {
    mode: 'outbox',
    async deliver(reply) {
      await mkdir(dir, { recursive: true });
      const name = `${reply.messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`;
      const file = path.join(dir, name);
      // Temp + rename: a reader (or a crash) never sees half a message; a resend overwrites
      // the same file, since the name is the deterministic Message-ID.
      const tmp = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(tmp, await buildRaw(reply));
      await rename(tmp, file);
      return { response: `written ${file}` };
    },
    close: () => undefined,
  };
}
