// Which SMTP failures are permanent: error shapes as nodemailer and Node produce them.
import { describe, expect, it } from 'vitest';
import { classifyDeliveryError } from '../../src/mail/delivery-error.js';

const smtpError = (code: string, responseCode: number, response: string) =>
  Object.assign(new Error(`Can't send mail - ${response}`), { code, responseCode, response });

describe('classifyDeliveryError', () => {
  it('treats a 5xx reply as permanent and keeps the server words', () => {
    const d = classifyDeliveryError(
      smtpError('EENVELOPE', 550, '550 5.1.1 <x@y.cn>: user unknown'),
    );
    expect(d).toMatchObject({ permanent: true, code: 'SMTP550' });
    expect(d.message).toContain('user unknown');
  });

  it('is final only when the recipient or the message is refused, not our account or sender', () => {
    const at = (command: string, code: string, status: number, text: string) =>
      classifyDeliveryError(Object.assign(smtpError(code, status, text), { command }));
    // A changed relay password or a refused REPLY_FROM refuses every reply alike, and every
    // reply waits for the relay (`relay`), rather than each trying on its own.
    const cases = [
      ['AUTH PLAIN', 'EAUTH', 535, '535 5.7.8 authentication failed', false, true],
      ['MAIL FROM', 'EENVELOPE', 553, '553 5.7.1 sender not owned', false, true],
      ['CONN', 'EPROTOCOL', 554, '554 no SMTP service here', false, true],
      ['RCPT TO', 'EENVELOPE', 550, '550 5.1.1 user unknown', true, false],
      ['RCPT TO', 'EENVELOPE', 451, '451 4.7.1 greylisted', false, false],
      ['DATA', 'EMESSAGE', 554, '554 5.7.1 message refused', true, false],
    ] as const;
    for (const [command, code, status, text, permanent, relay] of cases) {
      expect(at(command, code, status, text), `${command} ${status}`).toMatchObject({
        permanent,
        relay,
        code: `SMTP${status}`,
      });
    }
  });

  it('treats 4xx replies as transient (greylisting, mailbox busy, too many connections)', () => {
    for (const [status, text] of [
      [451, '451 4.7.1 greylisted, try again later'],
      [421, '421 4.3.2 too many connections'],
      [452, '452 4.2.2 mailbox full'],
    ] as const) {
      expect(classifyDeliveryError(smtpError('EENVELOPE', status, text))).toMatchObject({
        permanent: false,
        code: `SMTP${status}`,
      });
    }
  });

  it('reads the status from the response text when responseCode is missing', () => {
    expect(classifyDeliveryError({ response: '554 5.7.1 rejected as spam' })).toMatchObject({
      permanent: true,
      code: 'SMTP554',
    });
    expect(classifyDeliveryError({ response: '450-4.2.0 later' })).toMatchObject({
      permanent: false,
      code: 'SMTP450',
    });
  });

  it('treats network errors as transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), {
      code: 'ECONNREFUSED',
      errno: -111,
    });
    const timeout = Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' });
    const conn = Object.assign(new Error('Connection closed unexpectedly'), {
      code: 'ECONNECTION',
    });
    for (const err of [refused, timeout, conn]) {
      const d = classifyDeliveryError(err);
      expect(d.permanent).toBe(false);
      expect(d.relay).toBe(true);
      expect(d.code).toBe(err.code);
    }
  });

  it("takes a failure of this reply's own for no trouble of the relay's", () => {
    // nodemailer refuses a message over the relay's SIZE before sending it: no reply code.
    const tooBig = Object.assign(new Error('Message size larger than allowed 10485760'), {
      code: 'EMESSAGE',
      command: 'MAIL FROM',
    });
    expect(classifyDeliveryError(tooBig)).toMatchObject({ permanent: false, relay: false });
    expect(classifyDeliveryError(new Error('something odd'))).toMatchObject({ relay: false });
  });

  it('never calls an unknown failure permanent (a retry is the safe side)', () => {
    expect(classifyDeliveryError(new Error('something odd'))).toMatchObject({
      permanent: false,
      code: 'UNKNOWN',
    });
    expect(classifyDeliveryError('a string')).toMatchObject({ permanent: false });
    expect(classifyDeliveryError({ responseCode: 250, response: '250 ok' })).toMatchObject({
      permanent: false,
    });
  });
});
