// The fault suite's one allowance for a second copy of a reply (scripts/faults/verify.ts): only
// a worker killed between the SMTP server's 250 and the `sent` record explains it.
import { describe, expect, it } from 'vitest';
import { resentAfterKill } from '../../scripts/faults/verify.js';
import type { SinkMessage } from '../support/smtp-sink.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const copy = (at: number): SinkMessage => ({
  raw: Buffer.alloc(0),
  messageId: '<r@x>',
  from: 'a@x',
  to: ['b@x'],
  at: T + at,
});
const row = (sentAt: number | null) => ({
  submission: 1,
  state: 'sent',
  message_id: '<r@x>',
  sent_at: sentAt === null ? null : new Date(T + sentAt).toISOString(),
});

describe('a reply resent after a kill', () => {
  it('is the first copy before the kill, the second copy and the record after it', () => {
    expect(resentAfterKill([copy(0), copy(5_000)], row(5_010), [T + 20])).toBe(true);
  });

  it('allows the sink a moment to read what the killed process wrote', () => {
    expect(resentAfterKill([copy(900), copy(5_000)], row(5_010), [T])).toBe(true);
    expect(resentAfterKill([copy(1_500), copy(5_000)], row(5_010), [T])).toBe(false);
  });

  it('is not two copies with no kill between them', () => {
    expect(resentAfterKill([copy(0), copy(5_000)], row(5_010), [])).toBe(false);
    expect(resentAfterKill([copy(0), copy(5_000)], row(5_010), [T - 10_000])).toBe(false);
    expect(resentAfterKill([copy(0), copy(5_000)], row(5_010), [T + 6_000])).toBe(false);
  });

  it('is not a record made before the kill (the killed worker had finished)', () => {
    expect(resentAfterKill([copy(0), copy(5_000)], row(10), [T + 20])).toBe(false);
    expect(resentAfterKill([copy(0), copy(5_000)], row(null), [T + 20])).toBe(false);
  });

  it('is never a third copy, nor a single one', () => {
    expect(resentAfterKill([copy(0), copy(5_000), copy(6_000)], row(6_010), [T + 20])).toBe(false);
    expect(resentAfterKill([copy(0)], row(10), [T + 20])).toBe(false);
  });
});
