// The IMAP poller: mailbox → sink (blob + row + job). One connection per mailbox, held only while
// this process holds the mailbox's lock (one active poller per mailbox, DESIGN.md §7).
// The cursor lives in the sink (the database), never in the mailbox: no \Seen, no delete, no
// move (DESIGN.md §3); the `$Intake` keyword is only a courtesy to organisers reading the box.
// A message the server keeps failing to hand over is recorded as unfetched and passed over, so
// it cannot hold up the mail behind it (`giveUp`), and is tried again now and then
// (`retryUnfetchedMs`): a link that kept dropping, or a server that was failing, may have mended.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { UnfetchedMessage } from '../store/cursors.js';
import {
  createImapSession,
  type ImapConnectionConfig,
  type ImapSession,
  type MessageMeta,
  type OpenedMailbox,
} from './imap.js';

export interface PollSink {
  cursor(mailbox: string): Promise<{ uidValidity: string | null; lastUid: number } | undefined>;
  /** For UIDVALIDITY-change dedupe. */
  knownSha(mailbox: string, sha256: string): Promise<boolean>;
  /** Store the raw message (blob + row, committed) and enqueue its job. Idempotent. Returns the sha256/size it stored. */
  ingest(input: {
    raw: Readable;
    expectedSize: number | undefined;
    mailbox: string;
    uidValidity: string;
    uid: number;
    receivedAt: Date;
    /** `fetched` when the server gave no usable INTERNALDATE: the time is the download's. */
    receivedAtSource: 'internaldate' | 'fetched';
  }): Promise<{ sha256: string; size: number; inserted: boolean }>;
  advance(mailbox: string, uidValidity: string, lastUid: number): Promise<void>;
  /** Records a message the server would not hand over (the cursor then moves past it). Idempotent. */
  unfetched(message: UnfetchedMessage): Promise<void>;
  /** The UIDs recorded as unfetched under `uidValidity` and not stored or resolved since. */
  stillUnfetched(mailbox: string, uidValidity: string): Promise<number[]>;
  /** A message recorded as unfetched has been stored on a later try: it leaves the list. */
  fetchedLater(mailbox: string, uidValidity: string, uid: number): Promise<void>;
  polled(mailbox: string, outcome: { ok: true } | { ok: false; error: string }): Promise<void>;
}

export interface MailboxLock {
  acquire(mailbox: string): Promise<boolean>;
  renew(mailbox: string): Promise<boolean>;
  release(mailbox: string): Promise<void>;
  /** When known, the poller renews every ttlMs / 3 and retries a held lock as often. */
  readonly ttlMs?: number;
}

export interface PollerConfig extends ImapConnectionConfig {
  mailboxes: string[];
}

export interface PollerDeps {
  log: Logger;
  config: PollerConfig;
  lock: MailboxLock;
  sink: PollSink;
  /** Catch-up sweep by UID: IDLE `exists` events are only hints (default 60 s). */
  sweepIntervalMs?: number;
  backoff?: { minMs: number; maxMs: number };
  /**
   * When a message that keeps failing to download is recorded as unfetched and passed over:
   * after this many attempts, the first this long ago (default 5 attempts over 10 minutes),
   * and only once the message behind it has downloaded.
   */
  giveUp?: { attempts: number; afterMs: number };
  /** How often a sweep tries the messages recorded as unfetched once more (default 30 minutes). */
  retryUnfetchedMs?: number;
}

export interface Poller {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sweep every connected mailbox now; resolves when those sweeps are done. */
  pollNow(): Promise<void>;
}

export const INTAKE_KEYWORD = '$Intake';
// Bounds the FETCH answer held in memory for a mailbox with a long backlog.
const META_BATCH = 200;
// How long stop() lets the message being stored finish before closing the connection.
const STOP_GRACE_MS = 10_000;

/** Capped exponential backoff with "equal jitter": never immediate, spread across pollers. */
export function backoffDelay(
  attempt: number,
  range: { minMs: number; maxMs: number },
  random = Math.random,
): number {
  const ceiling = Math.min(range.maxMs, range.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function createPoller(deps: PollerDeps): Poller {
  const watchers = deps.config.mailboxes.map((mailbox) => watchMailbox(mailbox, deps));
  return {
    async start() {
      for (const w of watchers) w.start();
    },
    async stop() {
      await Promise.all(watchers.map((w) => w.stop()));
    },
    async pollNow() {
      await Promise.all(watchers.map((w) => w.sweep()));
    },
  };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}

function sha256Of(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * The server failed to hand over this message: the download or its stream failed. Not the
 * store's own failures (a full disk, a database down), which no number of retries makes the
 * message's fault.
 */
class DownloadFailed extends Error {
  constructor(uid: number, cause: unknown) {
    super(`downloading UID ${uid} failed: ${describe(cause)}`, { cause });
  }
}

const serverSide = (uid: number) => (err: unknown) => {
  throw new DownloadFailed(uid, err);
};

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** One connection's state: errors are recorded once and end the connection. */
interface Conn {
  session: ImapSession;
  ready: boolean;
  error?: unknown;
  /**
   * An unfetched message is being tried again: imapflow closes the connection on the server's
   * refusal (before the download's own error arrives), and that is no failing mailbox.
   */
  retrying?: boolean;
}

function watchMailbox(mailbox: string, deps: PollerDeps) {
  const { sink, lock, config } = deps;
  const log = deps.log.child({ mailbox });
  const backoff = deps.backoff ?? { minMs: 1_000, maxMs: 60_000 };
  const renewMs = Math.max(100, Math.floor((lock.ttlMs ?? 30_000) / 3));
  const abort = new AbortController();
  let stopped = false;
  let holding = false;
  let running: Promise<void> | undefined;
  let conn: Conn | undefined;
  let sweeping: Promise<void> | undefined;
  let sweepingOn: Conn | undefined;
  let again = false;
  let attempt = 0;
  let health: 'unknown' | 'connected' | 'failing' = 'unknown';
  let standbyLogged = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  // Progress of a rescan after a UIDVALIDITY change. The cursor only moves once the rescan is
  // complete, so a restart mid-rescan rescans again (with dedupe) instead of skipping the rest.
  let rescan: { uidValidity: string; lastUid: number } | undefined;
  // A mailbox being recreated (a migration) may still be filling when the rescan ends; copied
  // messages keep their INTERNALDATE, so ones older than the change's detection are deduped too.
  let changed: { uidValidity: string; at: Date } | undefined;
  // The message whose download keeps failing, across connections.
  let failing: { key: string; attempts: number; since: number; error: string } | undefined;
  const giveUp = deps.giveUp ?? { attempts: 5, afterMs: 10 * 60_000 };
  const retryUnfetchedMs = deps.retryUnfetchedMs ?? 30 * 60_000;
  // When the unfetched messages were last tried, or one was last passed over (so is not tried
  // again at once); and the UID after which the next round starts, so that one message refused
  // every time does not keep the others behind it from their turn.
  let retriedAt = Date.now();
  let retryAfterUid = 0;

  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);

  function failed(err: unknown) {
    if (health !== 'failing') log.warn({ err }, 'IMAP polling failing; reconnecting with backoff');
    else log.debug({ err }, 'IMAP reconnect failed');
    health = 'failing';
    sink
      .polled(mailbox, { ok: false, error: describe(err) })
      .catch((e) => log.warn({ err: e }, 'recording poll outcome failed'));
  }

  function succeeded() {
    if (health !== 'connected') log.info('IMAP polling healthy');
    health = 'connected';
    attempt = 0;
    sink
      .polled(mailbox, { ok: true })
      .catch((e) => log.warn({ err: e }, 'recording poll outcome failed'));
  }

  function lockLost(err?: unknown) {
    if (!holding) return;
    holding = false;
    clearInterval(renewTimer);
    log.warn({ err }, 'mailbox lock lost: polling of this mailbox stops until it is re-acquired');
    conn?.session.close();
  }

  async function tryAcquire(): Promise<boolean> {
    try {
      if (await lock.acquire(mailbox)) {
        holding = true;
        standbyLogged = false;
        log.info('mailbox lock acquired');
        renewTimer = setInterval(() => {
          lock.renew(mailbox).then((ok) => ok || lockLost(), lockLost);
        }, renewMs);
        renewTimer.unref();
        return true;
      }
      if (!standbyLogged) log.info('another poller holds the mailbox lock; standing by');
    } catch (err) {
      if (!standbyLogged) log.warn({ err }, 'mailbox lock unavailable; retrying');
    }
    standbyLogged = true;
    return false;
  }

  /** Stores one message; false when it has vanished (expunged elsewhere), so was not. */
  async function ingestOne(
    c: Conn,
    box: OpenedMailbox,
    meta: MessageMeta,
    dedupe: boolean,
  ): Promise<boolean> {
    if (!meta.internalDate) {
      log.warn(
        { uid: meta.uid },
        'the server gave no usable INTERNALDATE; the receive time is the download time (an estimate LATE does not reject on)',
      );
    }
    const input = {
      mailbox,
      uidValidity: box.uidValidity,
      uid: meta.uid,
      ...(meta.internalDate
        ? { receivedAt: meta.internalDate, receivedAtSource: 'internaldate' as const }
        : { receivedAt: new Date(), receivedAtSource: 'fetched' as const }),
    };
    const store = async (raw: Readable, expectedSize: number | undefined) => {
      if (!dedupe) return void (await sink.ingest({ ...input, expectedSize, raw }));
      // A rescan sees old messages under new UIDs: hash first, ingest only unknown bytes.
      const bytes = await toBuffer(raw);
      if (await sink.knownSha(mailbox, sha256Of(bytes))) {
        log.debug({ uid: meta.uid }, 'rescan: message already stored; skipped');
      } else {
        await sink.ingest({ ...input, expectedSize, raw: Readable.from(bytes) });
      }
    };
    const vanished = () => {
      log.warn({ uid: meta.uid }, 'message vanished before download (expunged elsewhere); skipped');
      return false;
    };

    const stream = await c.session.download(meta.uid).catch(serverSide(meta.uid));
    if (!stream) return vanished();
    let streamError: unknown;
    stream.on('error', (err) => {
      // A reader that stops early (a `for await` left by a throw: the blob store's write on a
      // full disk) makes Node destroy the stream with an AbortError: that is the store's
      // failure, not the server's, and must not count against the message.
      if ((err as Error | undefined)?.name !== 'AbortError') streamError ??= err;
    });
    try {
      await store(stream, meta.size);
    } catch (err) {
      if (streamError !== undefined) throw new DownloadFailed(meta.uid, streamError);
      if ((err as { code?: unknown }).code !== 'BlobSizeMismatch') throw err;
      // A download in pieces that ends early looks complete to imapflow; RFC822.SIZE may also
      // be only an estimate (Exchange's, unless told otherwise). One FETCH of the whole message
      // settles which: its length is stated before its bytes.
      log.warn({ uid: meta.uid, err }, 'download differs from RFC822.SIZE; fetching it whole');
      const whole = await c.session.fetchWhole(meta.uid).catch(serverSide(meta.uid));
      // It gave bytes a moment ago: an empty answer now is the server's failure, not an expunge.
      if (!whole)
        throw new DownloadFailed(meta.uid, new Error('FETCH of the whole message gave nothing'));
      await store(Readable.from([whole]), undefined);
    } finally {
      stream.destroy();
    }
    // After the store commit only. imapflow drops keywords PERMANENTFLAGS does not allow; with
    // none sent, every flag may be kept (RFC 3501 §7.1).
    const allowed = box.permanentFlags;
    if (!allowed || allowed.has('\\*') || allowed.has(INTAKE_KEYWORD)) {
      await c.session.addKeyword(meta.uid, INTAKE_KEYWORD);
    }
    return true;
  }

  /** A download of `key` failed: counted against that message, a new count for another. */
  function noteFailure(key: string, err: DownloadFailed) {
    if (failing?.key !== key) failing = { key, attempts: 0, since: Date.now(), error: '' };
    failing.attempts++;
    failing.error = describe(err.cause);
  }

  /** Whether `key` has failed often enough, for long enough, to be passed over. */
  function dueToPassOver(key: string): boolean {
    return (
      failing?.key === key &&
      failing.attempts >= giveUp.attempts &&
      Date.now() - failing.since >= giveUp.afterMs
    );
  }

  /** Whether `meta` may be a message stored before, under another UID (hashed first). */
  function dedupe(uv: string, meta: MessageMeta): boolean {
    if (rescan !== undefined) return true;
    // A message without a usable date may be an old one as well as a new one: hash it.
    return (
      changed?.uidValidity === uv && (meta.internalDate === null || meta.internalDate < changed.at)
    );
  }

  async function metaAfter(c: Conn, uids: number[], uid: number) {
    const next = uids[uids.indexOf(uid) + 1];
    return next === undefined ? undefined : (await c.session.meta([next]))[0];
  }

  async function sweepOnce(c: Conn) {
    // Dovecot (for one) reports changes made by other sessions only when a command syncs the
    // mailbox; SEARCH does not, so without this a sweep keeps seeing a stale mailbox.
    await c.session.refresh();
    const box = c.session.current();
    if (!box)
      throw Object.assign(new Error(`mailbox ${mailbox} is no longer selected`), {
        code: 'NotSelected',
      });
    const cursor = await sink.cursor(mailbox);
    const uv = box.uidValidity;
    let from = cursor?.lastUid ?? 0;
    if (cursor?.uidValidity != null && cursor.uidValidity !== uv) {
      if (rescan?.uidValidity !== uv) {
        log.warn(
          { was: cursor.uidValidity, now: uv },
          'UIDVALIDITY changed: rescanning from UID 1, skipping stored messages',
        );
        rescan = { uidValidity: uv, lastUid: 0 };
        changed = { uidValidity: uv, at: new Date() };
      }
      from = rescan.lastUid;
    } else {
      rescan = undefined;
    }
    const uids = await c.session.uidsAbove(from);
    let probed: string | undefined;
    for (let i = 0; i < uids.length; i += META_BATCH) {
      // Listed in full before any download: no command may run inside a FETCH (DESIGN.md §6).
      const metas = await c.session.meta(uids.slice(i, i + META_BATCH));
      if (c.session.current()?.uidValidity !== uv)
        throw Object.assign(new Error('UIDVALIDITY changed during a sweep'), {
          code: 'UidValidityChanged',
        });
      for (const meta of metas) {
        // A closed connection ends the sweep where it is: the next one starts from the cursor.
        if (stopped || !holding || !c.ready || !c.session.usable) return;
        const key = `${uv}:${meta.uid}`;
        // Dovecot answers NO to a FETCH of a message it cannot read, and imapflow closes the
        // connection on it: every sweep would end at this message. It is passed over once the
        // message behind it downloads; if that one fails too, the trouble is not this message's
        // (a storage outage, a bandwidth limit), and this one is tried afresh. With nothing
        // behind it, it holds nothing up and is simply tried again.
        let passOver = false;
        const next = dueToPassOver(key) ? await metaAfter(c, uids, meta.uid) : undefined;
        if (next) {
          try {
            passOver = await ingestOne(c, box, next, dedupe(uv, next));
          } catch (err) {
            failing = undefined;
            throw err;
          }
          if (passOver) probed = `${uv}:${next.uid}`;
        }
        if (key === probed) {
          // Stored already, as the message behind one passed over.
        } else if (passOver) {
          const { attempts, error } = failing ?? { attempts: 0, error: '' };
          await sink.unfetched({
            mailbox,
            uidValidity: uv,
            uid: meta.uid,
            receivedAt: meta.internalDate ?? new Date(),
            size: meta.size,
            attempts,
            error,
          });
          retriedAt = Date.now();
          log.error(
            { uid: meta.uid, attempts, error },
            'message could not be downloaded; recorded as unfetched and passed over (it stays in the mailbox)',
          );
        } else {
          try {
            await ingestOne(c, box, meta, dedupe(uv, meta));
          } catch (err) {
            if (err instanceof DownloadFailed) noteFailure(key, err);
            throw err;
          }
        }
        if (failing?.key === key) failing = undefined;
        if (rescan) rescan.lastUid = meta.uid;
        else await sink.advance(mailbox, uv, meta.uid);
      }
    }
    if (rescan) {
      await sink.advance(mailbox, uv, rescan.lastUid);
      log.info(
        { uidValidity: uv, lastUid: rescan.lastUid },
        'rescan after UIDVALIDITY change complete',
      );
      rescan = undefined;
    }
    succeeded();
    if (Date.now() - retriedAt >= retryUnfetchedMs) {
      retriedAt = Date.now();
      await retryUnfetched(c, box).catch((err) =>
        log.warn({ err }, 'trying unfetched messages again failed; the next round will'),
      );
    }
  }

  /**
   * Tries each message recorded as unfetched once more, starting after the one refused last
   * time. A refusal ends the round: imapflow closes the connection on the server's NO.
   */
  async function retryUnfetched(c: Conn, box: OpenedMailbox) {
    const uids = await sink.stillUnfetched(mailbox, box.uidValidity);
    const turn = [
      ...uids.filter((u) => u > retryAfterUid),
      ...uids.filter((u) => u <= retryAfterUid),
    ];
    for (const uid of turn) {
      if (stopped || !holding || !c.ready || !c.session.usable) return;
      // However this round ends, the next one starts after the message it was trying.
      retryAfterUid = uid;
      // A refusal, of the listing or of the download, closes the connection: no failing mailbox.
      c.retrying = true;
      let outcome: 'stored' | 'gone' | 'renumbered';
      try {
        outcome = await retryOne(c, box, uid);
      } catch (err) {
        if (!(err instanceof DownloadFailed) && c.session.usable) {
          c.retrying = false; // the store's own trouble closes nothing
          throw err;
        }
        log.warn(
          {
            uid,
            error: describe(err instanceof DownloadFailed ? err.cause : err),
            retryInMs: retryUnfetchedMs,
          },
          'unfetched message still cannot be downloaded; it stays on the list',
        );
        c.session.close();
        return;
      }
      c.retrying = false;
      if (outcome === 'renumbered') return; // the next sweep sees the new UIDVALIDITY
      if (outcome === 'stored') {
        await sink.fetchedLater(mailbox, box.uidValidity, uid);
        log.info({ uid }, 'unfetched message downloaded on a later try; off the list');
      }
    }
    retryAfterUid = 0;
  }

  async function retryOne(c: Conn, box: OpenedMailbox, uid: number) {
    const [meta] = await c.session.meta([uid]);
    if (c.session.current()?.uidValidity !== box.uidValidity) return 'renumbered';
    // Gone from the mailbox (saved and deleted by an organiser): theirs to mark imported.
    if (!meta) return 'gone';
    return (await ingestOne(c, box, meta, dedupe(box.uidValidity, meta))) ? 'stored' : 'gone';
  }

  /** Sweeps are serialised; a request during a sweep makes it run once more before resolving. */
  function sweep(): Promise<void> {
    again = true;
    const c = conn;
    if (!c?.ready) return Promise.resolve();
    // A sweep still ending on a connection since closed: this one's starts when it has.
    if (sweeping) return sweepingOn === c ? sweeping : sweeping.then(sweep);
    sweepingOn = c;
    const run = async () => {
      try {
        while (again && c.ready && !stopped && holding) {
          again = false;
          await sweepOnce(c);
        }
      } catch (err) {
        c.error ??= err;
        c.session.close();
      }
    };
    sweeping = run().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  async function serveOneConnection() {
    const c: Conn = {
      session: createImapSession(config, { log: log.child({ source: 'imapflow' }) }),
      ready: false,
    };
    const closed = new Promise<Error | undefined>((resolve) => c.session.onClose(resolve));
    conn = c;
    try {
      await c.session.connect();
      await c.session.open(mailbox);
      if (stopped || !holding) return;
      c.ready = true;
      c.session.onExists(() => void sweep());
      void sweep(); // after every (re)connect: events missed while disconnected
      const closeErr = await closed;
      if (stopped || !holding) return;
      if (c.retrying) log.info('reconnecting after the refused retry');
      else failed(c.error ?? closeErr ?? new Error('IMAP connection closed'));
    } catch (err) {
      if (!stopped && holding) failed(c.error ?? err);
    } finally {
      c.ready = false;
      c.session.close();
      if (conn === c) conn = undefined;
    }
  }

  async function loop() {
    while (!stopped) {
      if (!holding && !(await tryAcquire())) {
        await pause(renewMs);
        continue;
      }
      if (stopped) break;
      // Nothing may end this loop but stop(): a throw would end polling and, unhandled, the process.
      await serveOneConnection().catch(failed);
      if (stopped || !holding) continue;
      await pause(backoffDelay(attempt++, backoff));
    }
  }

  return {
    sweep,
    start() {
      if (running || stopped) return;
      running = loop();
      sweepTimer = setInterval(() => void sweep(), deps.sweepIntervalMs ?? 60_000);
      sweepTimer.unref();
    },
    async stop() {
      stopped = true;
      abort.abort();
      clearInterval(sweepTimer);
      clearInterval(renewTimer);
      // The sweep checks `stopped` between messages: let the current one finish storing.
      if (sweeping) await Promise.race([sweeping, sleep(STOP_GRACE_MS, undefined, { ref: false })]);
      await conn?.session.logout();
      await running;
      clearInterval(renewTimer); // an acquire in flight during stop() may have started one
      if (holding) {
        holding = false;
        await lock
          .release(mailbox)
          .catch((err) =>
            log.warn({ err }, 'releasing the mailbox lock failed; it expires by itself'),
          );
      }
    },
  };
}
