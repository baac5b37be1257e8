// The SMTP sender against a real SMTP server: replies share a connection, and a connection the
// server has dropped is replaced, not reused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComposedReply } from '../../src/mail/compose.js';
import { createSender, type Sender } from '../../src/mail/send.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const reply = (n: number): ComposedReply => ({
  from: '案例征集 <cases@example.cn>',
  to: `applicant${n}@example.cn`,
  subject: `回执 ${n}`,
  text: `第 ${n} 封`,
  html: `<p>第 ${n} 封</p>`,
  messageId: `<reply-${n}-ack@example.cn>`,
  inReplyTo: null,
  references: null,
  date: new Date('2026-11-30T08:00:00Z'),
  headers: {},
});

describe('SMTP sender', () => {
  let sink: SmtpSink;
  let sender: Sender;
  beforeEach(async () => {
    sink = await startSmtpSink();
    sender = createSender(
      {
        mode: 'smtp',
        host: sink.host,
        port: sink.port,
        secure: false,
        user: undefined,
        password: undefined,
      },
      { outboxDir: '/nonexistent' },
    );
  });
  afterEach(async () => {
    sender.close();
    await sink.stop();
  });

  it('sends replies one after another over one connection', async () => {
    for (let n = 1; n <= 5; n++) await sender.deliver(reply(n));
    expect(sink.messages.map((m) => m.messageId)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `<reply-${n}-ack@example.cn>`),
    );
    expect(sink.connections).toBe(1);
  });

  it('opens a new connection when the server has closed the last one', async () => {
    await sender.deliver(reply(1));
    // The server closes its connections (after its close timeout) and listens again.
    await sink.refuse();
    await sink.accept();
    await sender.deliver(reply(2));
    await sink.refuse();
    await expect(sender.deliver(reply(3))).rejects.toThrow(/ECONNREFUSED/);
    await sink.accept();
    await sender.deliver(reply(4));
    expect(sink.messages.map((m) => m.messageId)).toEqual([
      '<reply-1-ack@example.cn>',
      '<reply-2-ack@example.cn>',
      '<reply-4-ack@example.cn>',
    ]);
    expect(sink.connections).toBe(3);
  });
});
