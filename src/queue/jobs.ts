// Job names, payload schemas and jobIds: the one place that says what travels through Redis.
// A payload is a row id, never bytes (DESIGN.md §3): the database is the record, Redis carries
// only work. jobIds derive from row ids so a second enqueue of the same row is a no-op while the
// first job exists; BullMQ forbids ':' and all-digit ids, hence the prefixes.
import { z } from 'zod';

export const QUEUES = {
  process: 'process',
  reply: 'reply',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  processMessage: {
    queue: QUEUES.process,
    name: 'process-message',
    payload: z.object({ messageId: z.number().int().positive() }),
    jobId: (p: { messageId: number }) => `message-${p.messageId}`,
  },
  sendReply: {
    queue: QUEUES.reply,
    name: 'send-reply',
    payload: z.object({ replyId: z.number().int().positive() }),
    jobId: (p: { replyId: number }) => `reply-${p.replyId}`,
  },
} as const;

export type ProcessMessagePayload = z.infer<typeof JOBS.processMessage.payload>;
export type SendReplyPayload = z.infer<typeof JOBS.sendReply.payload>;

/** Attempts a row gets (counted in the database, not in Redis) before it is marked failed. */
export const MAX_ATTEMPTS = 5;
