// Table shapes as kysely sees them. Conventions that hold on both SQLite and PostgreSQL:
// timestamps are ISO-8601 UTC text (`Date#toISOString`, sortable as text), booleans are 0/1
// integers, JSON is text. Ids are plain `integer` (int4 on PostgreSQL, so `pg` returns numbers).
import type { Generated } from './kysely.js';

export type Dialect = 'sqlite' | 'postgres';

export type MessageSource = 'imap' | 'drop' | 'import';
export type ReceivedAtSource =
  | 'internaldate'
  | 'fetched'
  | 'received-header'
  | 'mtime'
  | 'date-header'
  | 'now';
export type MessageState = 'pending' | 'processing' | 'processed' | 'failed';
export type CaseStatus = 'accepted' | 'rejected' | 'needs_review' | 'withdrawn';
export type ReplyState = 'pending' | 'sent' | 'suppressed' | 'failed';

export interface MailboxCursorTable {
  mailbox: string;
  uidvalidity: string | null;
  last_uid: number;
  last_poll_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  updated_at: string;
}

/** A message the IMAP server would not hand over; the poller went on past it. */
export interface UnfetchedMessageTable {
  id: Generated<number>;
  mailbox: string;
  uidvalidity: string;
  uid: number;
  /** INTERNALDATE. */
  received_at: string;
  /** RFC822.SIZE, when the server gave one. */
  size: number | null;
  attempts: number;
  error: string;
  created_at: string;
  /** When an organiser marked it dealt with (fetched by hand), and who. */
  resolved_at: string | null;
  resolved_by: string | null;
}

export interface MessageTable {
  id: Generated<number>;
  source: MessageSource;
  /** `imap:<mailbox>:<uidvalidity>:<uid>` or `<source>:<sha256>`: the idempotency key. */
  source_key: string;
  mailbox: string;
  uidvalidity: string | null;
  uid: number | null;
  sha256: string;
  size: number;
  received_at: string;
  received_at_source: ReceivedAtSource;
  original_name: string | null;
  message_id_header: string | null;
  state: MessageState;
  attempts: number;
  last_error: string | null;
  created_at: string;
  processed_at: string | null;
}

export interface CaseTable {
  id: Generated<number>;
  case_no: string;
  case_key: string;
  organization: string;
  title: string;
  direction: string | null;
  applicant_type: string | null;
  status: CaseStatus;
  /** An organiser's verdict; while set, new submissions do not change the status. */
  verdict_override: string | null;
  override_reason: string | null;
  current_submission_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface SubmissionTable {
  id: Generated<number>;
  message_row_id: number;
  case_id: number | null;
  message_id_header: string | null;
  from_address: string | null;
  kind: string;
  verdict: string;
  received_at: string;
  superseded_by: number | null;
  duplicate_of: number | null;
  result_json: string;
  created_at: string;
}

export interface AttachmentTable {
  id: Generated<number>;
  submission_id: number;
  filename: string;
  detected_type: string;
  role: string;
  bytes: number;
  sha256: string;
  inside_archive: string | null;
}

export interface FindingTable {
  id: Generated<number>;
  submission_id: number;
  rule: string;
  severity: string;
  passed: number;
  message: string;
  details_json: string;
}

export interface ReplyTable {
  id: Generated<number>;
  submission_id: number;
  kind: string;
  state: ReplyState;
  recipient: string | null;
  message_id: string | null;
  attempts: number;
  last_error: string | null;
  suppressed_reason: string | null;
  created_at: string;
  sent_at: string | null;
  /** While a worker delivers the reply: until when it is that worker's (ISO time). */
  claimed_until: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  entity: string;
  entity_id: number | null;
  action: string;
  detail_json: string | null;
}

export interface CounterTable {
  name: string;
  value: number;
}

export interface WebSessionTable {
  /** sha256 of the browser's session token (hex). */
  token_hash: string;
  user_name: string;
  /** HMAC of the credentials under the token: a changed password ends the session. */
  credentials_tag: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  mailbox_cursors: MailboxCursorTable;
  messages: MessageTable;
  cases: CaseTable;
  submissions: SubmissionTable;
  attachments: AttachmentTable;
  findings: FindingTable;
  replies: ReplyTable;
  audit_log: AuditLogTable;
  counters: CounterTable;
  unfetched_messages: UnfetchedMessageTable;
  web_sessions: WebSessionTable;
}
