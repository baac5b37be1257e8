// What the dashboard is given: the store, the queues, the profile and the few actions it may
// take. Its own module so the routes and the server that mounts them need not import each other.
import type { ContestProfile } from '../config/contest.js';
import type { Reread, StoredMessage } from '../evaluator.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queue/queues.js';
import type { BlobStore } from '../store/blobs.js';
import type { Db } from '../store/db.js';
import type { Evaluate } from '../store/reprocess.js';
import type { Credentials } from './auth.js';

export interface DecisionReplyArgs {
  submissionId: number;
  verdict: 'accepted' | 'rejected' | 'needs_review';
  reason: string;
  /** The organiser, for the audit log. */
  actor: string;
}

export interface WebDeps {
  db: Db;
  blobs: BlobStore;
  queues: Queues;
  profile: ContestProfile;
  log: Logger;
  credentials: Credentials;
  evaluate: Evaluate;
  /** Reads a stored message again: its files written out, its report's text (evaluator.ts). */
  reread: (message: StoredMessage) => Promise<Reread>;
  /** Queues the applicant's decision notice (src/replies); absent → the option is refused. */
  decisionReply?: (args: DecisionReplyArgs) => Promise<void>;
  /** Is Redis reachable? (The store is checked with a query.) */
  pingRedis: () => Promise<boolean>;
  /**
   * WEB_TRUST_PROXY: the addresses of a TLS-terminating reverse proxy, whose X-Forwarded-Proto
   * and -For are believed: cookies are then Secure, and limits count the visitor's address.
   */
  trustProxy?: string;
  loginAttemptsPerMinute?: number;
}
