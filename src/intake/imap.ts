// The only importer of imapflow. One ImapSession = one ImapFlow instance = one connection; after
// `close` it is dead and the caller builds a new one (imapflow does not reconnect by itself).
// The surface is what the poller and the Dovecot test harness need, nothing more, so swapping
// the IMAP library touches this file only.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from '../log.js';
import { usableDate } from '../submission/time.js';

/**
 * A download's pieces (partial FETCHes): imapflow joins each into one fresh Buffer. Under 1 MB,
 * glibc takes it from memory freed before (MALLOC_MMAP_THRESHOLD_, package.json); at 1 MB or
 * more each piece was a new mapping, faulted in page by page (docs/performance.md, "page faults").
 */
const DOWNLOAD_CHUNK_BYTES = 960 * 1024;

export interface ImapConnectionConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
}

export interface OpenedMailbox {
  path: string;
  /** UIDVALIDITY as a decimal string (imapflow gives a bigint; stores keep text). */
  uidValidity: string;
  uidNext: number;
  exists: number;
  /** PERMANENTFLAGS; undefined when the server sent none (then any flag may be stored). */
  permanentFlags: ReadonlySet<string> | undefined;
}

export interface MessageMeta {
  uid: number;
  /**
   * INTERNALDATE: the server's receive time, the only time used for the deadline; null when the
   * server gave no usable one (NIL, unparseable, before 2000 or over a day ahead: see usableDate).
   */
  internalDate: Date | null;
  /** RFC822.SIZE, to check a download against (imapflow can truncate silently). */
  size: number | undefined;
}

export interface ImapSession {
  readonly id: string;
  connect(): Promise<void>;
  open(mailbox: string): Promise<OpenedMailbox>;
  /** The mailbox selected now (re-read: a re-SELECT may have changed UIDVALIDITY). */
  current(): OpenedMailbox | undefined;
  /** NOOP: lets the server report what changed (EXISTS, EXPUNGE, a new UIDVALIDITY). */
  refresh(): Promise<void>;
  /** UIDs strictly above `lastUid`, ascending. */
  uidsAbove(lastUid: number): Promise<number[]>;
  /** INTERNALDATE and size of `uids`, collected before any other command is sent. */
  meta(uids: number[]): Promise<MessageMeta[]>;
  /**
   * The raw message as a stream, or undefined when the UID no longer exists (a search says so);
   * rejects when the connection is gone, and when the server gave no body for a message that
   * still exists (`FetchIncomplete`).
   */
  download(uid: number): Promise<Readable | undefined>;
  /**
   * The raw message in one FETCH BODY.PEEK[], held in memory: the server states its length
   * before sending it, so unlike `download` it cannot end early unnoticed. Undefined when the
   * UID no longer exists.
   */
  fetchWhole(uid: number): Promise<Buffer | undefined>;
  flags(uid: number): Promise<Set<string> | undefined>;
  /** Adds a keyword; false when the server refused or dropped it (not in PERMANENTFLAGS). */
  addKeyword(uid: number, keyword: string): Promise<boolean>;
  append(
    mailbox: string,
    raw: Buffer,
    date?: Date,
  ): Promise<{ uid: number; uidValidity: string } | undefined>;
  createMailbox(mailbox: string): Promise<void>;
  deleteMailbox(mailbox: string): Promise<void>;
  onExists(listener: () => void): void;
  /** Called once when the connection is gone, with the error that ended it if any. */
  onClose(listener: (err: Error | undefined) => void): void;
  readonly usable: boolean;
  /** LOGOUT, bounded by `timeoutMs`; the socket is closed in any case. */
  logout(timeoutMs?: number): Promise<void>;
  close(): void;
}

const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
})();

/** imapflow's logger interface onto pino, one level quieter: imapflow's info is per-command chatter. */
function loggerAdapter(log: Logger): NonNullable<ImapFlowOptions['logger']> {
  return {
    debug: (obj: object) => log.trace(obj),
    info: (obj: object) => log.debug(obj),
    warn: (obj: object) => log.warn(obj),
    error: (obj: object) => log.warn(obj),
  };
}

function toOpened(box: {
  path: string;
  uidValidity: bigint;
  uidNext: number;
  exists: number;
  permanentFlags?: Set<string> | undefined;
}): OpenedMailbox {
  return {
    path: box.path,
    uidValidity: String(box.uidValidity),
    uidNext: box.uidNext,
    exists: box.exists,
    permanentFlags: box.permanentFlags,
  };
}

export function createImapSession(
  config: ImapConnectionConfig,
  opts: { log?: Logger } = {},
): ImapSession {
  const client = new ImapFlow({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: { user: config.user, pass: config.password },
    logger: opts.log ? loggerAdapter(opts.log) : false,
    // Sent as IMAP ID: NetEase/Coremail refuse SELECT ("Unsafe Login") without it.
    clientInfo: { name: 'case-intake', version: VERSION },
    // Coremail has no IDLE; STATUS polling still surfaces new mail as `exists` hints.
    missingIdleCommand: 'STATUS',
    // Some servers drop an IDLE silently after ~30 min (RFC 2177 asks clients to re-issue it
    // at least every 29 min); restarting it every 5 min keeps the connection observably alive.
    maxIdleTime: 5 * 60_000,
    // IDLE (and with it the `exists` hints) starts after this much inactivity; mail arriving
    // before that waits for it (imapflow's 15 s default; 5 s here gave a 7 s median at one
    // message a second, `npm run bench`). Above the usual pause between two commands of a sweep
    // (one message stored); a longer pause costs only an IDLE/DONE round trip.
    autoIdleDelay: 1_000,
  });

  let lastError: Error | undefined;
  // imapflow emits `error` at most once, then `close`; without a listener Node would throw.
  client.on('error', (err: Error) => {
    lastError = err;
  });

  return {
    id: client.id,
    get usable() {
      return client.usable;
    },
    connect: () => client.connect(),
    async open(mailbox) {
      return toOpened(await client.mailboxOpen(mailbox));
    },
    current() {
      return client.mailbox ? toOpened(client.mailbox) : undefined;
    },
    refresh: () => client.noop(),
    async uidsAbove(lastUid) {
      const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
      // imapflow answers a search the server refused (NO, BAD: throttled, say) with false, and
      // one with no mailbox selected with nothing. Read as no new mail, the sweep would call
      // itself healthy while fetching nothing.
      if (!found) {
        throw Object.assign(new Error('the IMAP server refused UID SEARCH'), {
          code: 'SearchRefused',
        });
      }
      // `n:*` always includes the highest UID even when it is below n (RFC 3501 §6.4.8).
      return found.filter((uid) => uid > lastUid).sort((a, b) => a - b);
    },
    async meta(uids) {
      if (uids.length === 0) return [];
      const wanted = new Set(uids);
      const rows = await client.fetchAll(
        uids.join(','),
        { uid: true, internalDate: true, size: true },
        { uid: true },
      );
      // One row a message; but a server may answer for a message twice, once with only what
      // changed meanwhile (its flags): the rows are merged.
      const found = new Map<number, MessageMeta>();
      for (const m of rows) {
        if (!wanted.has(m.uid)) continue;
        const seen = found.get(m.uid);
        found.set(m.uid, {
          uid: m.uid,
          internalDate: usableDate(m.internalDate, new Date()) ?? seen?.internalDate ?? null,
          size: m.size ?? seen?.size,
        });
      }
      // The cursor passes a message left out here once a later one is stored: only a message
      // expunged meanwhile may be missing, and a search says whether it is.
      const missing = uids.filter((uid) => !found.has(uid));
      if (missing.length > 0) {
        const still = await client.search({ uid: missing.join(',') }, { uid: true });
        if (!still || still.some((uid) => missing.includes(uid))) {
          throw Object.assign(
            new Error(`the IMAP server left UIDs ${missing.join(',')} out of its FETCH answer`),
            { code: 'FetchIncomplete' },
          );
        }
      }
      return [...found.values()].sort((a, b) => a.uid - b.uid);
    },
    async download(uid) {
      // imapflow fetches a message in partial FETCHes of 64 KB by default: ~80 round trips and
      // command parses for a 5 MB submission, more CPU than storing it. ~1 MB pieces keep memory
      // bounded for a 50 MB message all the same.
      const { content } = await client.download(String(uid), undefined, {
        uid: true,
        chunkSize: DOWNLOAD_CHUNK_BYTES,
      });
      if (content) return content;
      // imapflow answers "nothing to download" on a closed connection too: that is no
      // expunged message, and a sweep that took it for one would skip the rest of its batch.
      if (!(client.usable && client.mailbox)) {
        throw Object.assign(new Error('IMAP connection closed before a download'), {
          code: 'NoConnection',
        });
      }
      // No body for a UID listed a moment ago: expunged meanwhile, or a server that answered
      // the FETCH with OK and no data. Only a message that is gone may be skipped (as in meta).
      const still = await client.search({ uid: String(uid) }, { uid: true });
      if (!still || still.includes(uid)) {
        throw Object.assign(new Error(`the IMAP server gave no body for UID ${uid}`), {
          code: 'FetchIncomplete',
        });
      }
      return undefined;
    },
    async fetchWhole(uid) {
      const m = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      return m ? m.source : undefined;
    },
    async flags(uid) {
      const m = await client.fetchOne(String(uid), { uid: true, flags: true }, { uid: true });
      return m ? (m.flags ?? new Set()) : undefined;
    },
    addKeyword: (uid, keyword) => client.messageFlagsAdd(String(uid), [keyword], { uid: true }),
    async append(mailbox, raw, date) {
      const res = await client.append(mailbox, raw, [], date);
      return res && res.uid !== undefined
        ? { uid: res.uid, uidValidity: String(res.uidValidity ?? '') }
        : undefined;
    },
    async createMailbox(mailbox) {
      await client.mailboxCreate(mailbox);
    },
    async deleteMailbox(mailbox) {
      await client.mailboxDelete(mailbox);
    },
    onExists(listener) {
      client.on('exists', () => listener());
    },
    onClose(listener) {
      client.once('close', () => listener(lastError));
    },
    async logout(timeoutMs = 5_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      try {
        await Promise.race([client.logout().catch(() => undefined), timeout]);
      } finally {
        clearTimeout(timer);
        client.close();
      }
    },
    close: () => client.close(),
  };
}
