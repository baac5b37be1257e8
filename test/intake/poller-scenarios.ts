// The poller's end-to-end scenarios against a real Dovecot and the machine's Redis, written once
// and run with any PollSink: the in-memory reference sink (imap-poller.test.ts) and the real
// store on SQLite/PostgreSQL. `makeSink` must return an empty store each time it is called.
import { chmod, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { INTAKE_KEYWORD, type PollSink } from '../../src/intake/poller.js';
import { corpusFound } from '../support/corpus.js';
import {
  expected,
  fingerprint,
  generatedMessage,
  type ScenarioSink,
  testMessages,
  useRig,
  waitUntil,
} from './poller-rig.js';

export type { ScenarioSink, StoredRow } from './poller-rig.js';

const BOX = 'INBOX';

/** Wraps a sink to observe ingests: `onData` sees each download's first chunk. */
function observed(inner: PollSink, onData?: (uid: number) => Promise<unknown> | undefined) {
  const stats = { ingests: 0, failures: 0, cursorCalls: 0, outcomes: [] as boolean[] };
  const sink: PollSink = {
    ...inner,
    polled: (m, outcome) => {
      stats.outcomes.push(outcome.ok);
      return inner.polled(m, outcome);
    },
    cursor: (m) => {
      stats.cursorCalls++;
      return inner.cursor(m);
    },
    async ingest(input) {
      stats.ingests++;
      let raw = input.raw;
      if (onData) {
        // A tap, not a 'data' listener: that would switch the stream to flowing mode. The
        // first chunk waits for `onData`, so the download cannot finish before it has acted.
        let seen = false;
        const tap = new PassThrough({
          transform(chunk, _enc, done) {
            const acted = seen ? undefined : onData(input.uid);
            seen = true;
            Promise.resolve(acted).then(() => done(null, chunk), done);
          },
        });
        raw = pipeline(input.raw, tap, () => undefined);
      }
      try {
        return await inner.ingest({ ...input, raw });
      } catch (err) {
        stats.failures++;
        throw err;
      }
    },
  };
  return { sink, stats };
}

/**
 * Makes the maildir file Dovecot keeps `raw` in (`mail_save_crlf`: the bytes as appended)
 * unreadable or readable again. Dovecot's imap runs as nobody: FETCH BODY[] of an unreadable one
 * answers NO. The file may have moved from new/ to cur/ since.
 */
async function setReadable(dovecotDir: string, raw: Buffer | undefined, readable: boolean) {
  const home = path.join(dovecotDir, 'mail', 'contest');
  for (const sub of ['new', 'cur']) {
    for (const name of await readdir(path.join(home, sub))) {
      const file = path.join(home, sub, name);
      if (raw && (await readFile(file)).equals(raw)) return chmod(file, readable ? 0o600 : 0);
    }
  }
  throw new Error('no such message in the maildir');
}

/** How many of the poller's sweeps ended in failure so far. */
const failedSweeps = (o: { stats: { outcomes: boolean[] } }) =>
  o.stats.outcomes.filter((ok) => !ok).length;

export function runPollerScenarios(
  makeSink: () => Promise<ScenarioSink> | ScenarioSink,
  label = 'memory sink',
): void {
  describe(`IMAP poller against Dovecot (${label})`, () => {
    const rig = useRig();
    let store: ScenarioSink | undefined;
    const newStore = async () => {
      store = await makeSink();
      return store;
    };
    afterEach(async () => {
      // Pollers first: a store must not close under a poller still writing to it.
      await rig.stopPollers();
      await store?.close();
      store = undefined;
    });
    const count = (s: ScenarioSink) => async () => (await s.rows(BOX)).length;

    /**
     * `n` messages (the first `appended` of them in the mailbox), those at `unreadable` made
     * unreadable to Dovecot, and a poller started on them that gives up as `giveUp` says.
     */
    async function pollUnreadable(
      name: string,
      n: number,
      unreadable: number[],
      giveUp: { attempts: number; afterMs: number },
      appended = n,
      retryUnfetchedMs?: number,
    ) {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const msgs = testMessages(name, n);
      await appendAll(msgs.slice(0, appended));
      for (const i of unreadable) await setReadable(dovecot.dir, msgs[i]?.raw, false);
      const o = observed(s.sink);
      const p = poller(o.sink, { giveUp, retryUnfetchedMs });
      await p.start();
      const readable = (i: number) => setReadable(dovecot.dir, msgs[i]?.raw, true);
      return { s, o, p, msgs, appendAll, readable };
    }

    it('ingests every message once, with its exact bytes and INTERNALDATE as receivedAt, then after a restart only the new ones', async () => {
      const { poller, appendAll } = rig.get();
      const s = await newStore();
      const first = testMessages('first', 50, corpusFound ? 20 : 0);
      await appendAll(first.slice(0, 40));
      const p1 = poller(s.sink);
      await p1.start();
      await appendAll(first.slice(40)); // these arrive while IDLE
      await waitUntil('50 messages are stored', async () => (await count(s)()) >= 50);
      await p1.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(first));

      await p1.stop();
      const more = testMessages('second', 10);
      await appendAll(more);
      const p2 = poller(s.sink);
      await p2.start();
      await waitUntil('60 messages are stored', async () => (await count(s)()) >= 60);
      await p2.pollNow();
      const rows = await s.rows(BOX);
      expect(fingerprint(rows)).toEqual(expected([...first, ...more]));
      expect(new Set(rows.map((r) => `${r.uidValidity}/${r.uid}`)).size).toBe(60);
    });

    it('stores a message whose INTERNALDATE is 1970 with its download time, marked as an estimate', async () => {
      const { poller, dovecot } = rig.get();
      const s = await newStore();
      const [dated, undated] = testMessages('idate', 2);
      if (!dated || !undated) throw new Error('two messages expected');
      await dovecot.append(dated.raw, dated.date);
      await dovecot.append(undated.raw, new Date(0)); // what imapflow makes of NIL
      const before = Date.now();
      const p = poller(s.sink);
      await p.start();
      await waitUntil('2 messages are stored', async () => (await count(s)()) >= 2);
      const rows = await s.rows(BOX);
      expect(rows.map((r) => r.receivedAtSource)).toEqual(['internaldate', 'fetched']);
      expect(rows[0]?.receivedAt.toISOString()).toBe(dated.date.toISOString());
      expect(rows[1]?.receivedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(rows[1]?.receivedAt.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('survives Dovecot killing its imap processes mid-download: reconnects, nothing lost or doubled', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const big = [1, 2, 3].map((i) => ({
        // Ten of the poller's ~1 MB download pieces: after the first, at most one more can be
        // in flight before the connections drop.
        raw: generatedMessage('big', i, 9 * 1024 * 1024),
        date: new Date(Date.UTC(2025, 9, 2, 8, i)),
      }));
      const msgs = [...testMessages('small', 3), ...big];
      await appendAll(msgs);
      let killed: Promise<number> | undefined;
      const { sink, stats } = observed(s.sink, (uid) => {
        // The first big message (UID 4) has started to stream: drop every connection before its
        // first piece is passed on.
        if (uid === 4 && !killed) {
          killed = dovecot.killImapProcesses();
          return killed;
        }
      });
      const p = poller(sink);
      await p.start();
      await waitUntil('all 6 messages are stored', async () => (await count(s)()) >= 6);
      await p.pollNow();
      expect(await killed).toBeGreaterThan(0);
      expect(stats.failures).toBeGreaterThan(0); // the interrupted download was not stored
      const rows = await s.rows(BOX);
      expect(fingerprint(rows)).toEqual(expected(msgs));
      expect(rows.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('skips nothing when the connection drops between two downloads of a sweep', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const msgs = testMessages('between', 6);
      await appendAll(msgs);
      const o = observed(s.sink);
      let dropped = false;
      const sink: PollSink = {
        ...o.sink,
        async advance(mailbox, uidValidity, lastUid) {
          await o.sink.advance(mailbox, uidValidity, lastUid);
          if (lastUid === 2 && !dropped) {
            dropped = true;
            // UID 2 is stored and marked; the connection goes before UID 3's download starts,
            // and the poller has seen it go (it records the failure) when this returns.
            await dovecot.killImapProcesses();
            await waitUntil('the poller saw the connection close', async () =>
              o.stats.outcomes.includes(false),
            );
          }
        },
      };
      const p = poller(sink);
      await p.start();
      await waitUntil('all 6 messages are stored', async () => (await count(s)()) >= 6, 20_000);
      await p.pollNow();
      expect(dropped).toBe(true);
      const rows = await s.rows(BOX);
      expect(fingerprint(rows)).toEqual(expected(msgs));
      expect(rows.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('sweeps a new connection at once when the old one closed with its sweep still ending', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const msgs = testMessages('handover', 3);
      await appendAll(msgs);
      const logins = async () =>
        (await readFile(path.join(dovecot.dir, 'dovecot.log'), 'utf8')).split('Login: ').length;
      let held: Promise<void> | undefined;
      const o = observed(s.sink, (uid) => {
        if (uid !== 1 || held) return;
        // UID 1's bytes are in hand; its sweep is held here while the connection goes and the
        // poller connects again and asks for a sweep of the new connection.
        held = (async () => {
          const before = await logins();
          await dovecot.killImapProcesses();
          await waitUntil('the poller logged in again', async () => (await logins()) > before);
          await sleep(1_000); // SELECT, then the new connection's sweep is asked for
        })();
        return held;
      });
      // No timer sweep within the test: only the hand-over can store UIDs 2 and 3.
      const p = poller(o.sink, { sweepIntervalMs: 600_000 });
      await p.start();
      await waitUntil('all 3 messages are stored', async () => (await count(s)()) >= 3, 15_000);
      expect(held).toBeDefined();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs));
    });

    it('reconnects after Dovecot restarts, records the failure and the recovery, and misses nothing', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const o = observed(s.sink);
      const p = poller(o.sink);
      await p.start();
      const before = testMessages('before-restart', 2);
      await appendAll(before);
      await waitUntil('2 messages are stored', async () => (await count(s)()) >= 2);
      await dovecot.restart();
      const after = testMessages('after-restart', 2);
      await appendAll(after);
      await waitUntil('4 messages are stored', async () => (await count(s)()) >= 4);
      await p.pollNow();
      expect(o.stats.outcomes).toContain(false);
      expect(o.stats.outcomes.at(-1)).toBe(true);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected([...before, ...after]));
    });

    it('after a UIDVALIDITY change rescans without duplicating stored messages and ingests the new ones', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const old = testMessages('old', 5, corpusFound ? 2 : 0);
      await appendAll(old);
      const p1 = poller(s.sink);
      await p1.start();
      await waitUntil('5 messages are stored', async () => (await count(s)()) >= 5);
      await p1.stop();
      const before = await s.sink.cursor(BOX);

      await dovecot.recreateMailbox(BOX);
      const fresh = testMessages('fresh', 3);
      await appendAll(fresh);
      const p2 = poller(s.sink);
      await p2.start();
      await waitUntil(
        'the cursor moves to the new UIDVALIDITY and 8 messages are stored',
        async () => {
          const c = await s.sink.cursor(BOX);
          return c?.uidValidity !== before?.uidValidity && (await count(s)()) >= 8;
        },
      );
      await p2.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected([...old, ...fresh]));
      expect((await s.sink.cursor(BOX))?.lastUid).toBeGreaterThanOrEqual(8);
    });

    it('notices a UIDVALIDITY change while connected, also while the mailbox is being refilled', async () => {
      const { poller, appendAll, dovecot } = rig.get();
      const s = await newStore();
      const old = testMessages('old', 5);
      await appendAll(old);
      const p = poller(s.sink);
      await p.start();
      await waitUntil('5 messages are stored', async () => (await count(s)()) >= 5);
      const before = await s.sink.cursor(BOX);
      // The poller may sweep at any point of this: empty mailbox, half refilled, done.
      await dovecot.recreateMailbox(BOX);
      const fresh = testMessages('fresh', 3);
      await appendAll(fresh);
      await waitUntil(
        'the cursor moves to the new UIDVALIDITY and 8 messages are stored',
        async () => {
          const c = await s.sink.cursor(BOX);
          return c?.uidValidity !== before?.uidValidity && (await count(s)()) >= 8;
        },
      );
      await p.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected([...old, ...fresh]));
    });

    it('a second poller with the same lock stands by while the first polls, and takes over when it stops', async () => {
      const { poller, appendAll } = rig.get();
      const s = await newStore();
      const a = observed(s.sink);
      const b = observed(s.sink);
      const pa = poller(a.sink, { owner: 'poller-a' });
      await pa.start();
      const one = testMessages('lock-one', 3);
      await appendAll(one);
      await waitUntil('A stored 3 messages', async () => (await count(s)()) >= 3);
      const pb = poller(b.sink, { owner: 'poller-b' });
      await pb.start();
      const two = testMessages('lock-two', 2);
      await appendAll(two);
      await waitUntil('A stored 5 messages', async () => (await count(s)()) >= 5);
      await pa.pollNow();
      await pb.pollNow();
      expect(b.stats.cursorCalls).toBe(0); // B never touched the mailbox
      expect(a.stats.ingests).toBe(5);

      await pa.stop();
      const three = testMessages('lock-three', 2);
      await appendAll(three);
      await waitUntil('B stored the 2 newest messages', async () => (await count(s)()) >= 7);
      await pb.pollNow();
      expect(b.stats.ingests).toBe(2);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected([...one, ...two, ...three]));
    });

    it('retries a message Dovecot cannot read, and stores it with the rest once it can', async () => {
      const { s, o, p, msgs, readable } = await pollUnreadable('unreadable', 4, [1], {
        attempts: 2,
        afterMs: 60_000,
      });
      await waitUntil('three failed sweeps', async () => failedSweeps(o) >= 3, 20_000);
      // Failing for less than `afterMs`: nothing passed over, nothing behind UID 2 stored.
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs.slice(0, 1)));
      expect(await s.unfetched(BOX)).toEqual([]);

      await readable(1);
      await waitUntil('all 4 messages are stored', async () => (await count(s)()) >= 4, 20_000);
      await p.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs));
      expect(await s.unfetched(BOX)).toEqual([]);
    });

    it('records a message Dovecot never serves as unfetched and goes on past it', async () => {
      const { s, o, p, msgs } = await pollUnreadable('poison', 4, [1], { attempts: 3, afterMs: 0 });
      await waitUntil('the 3 readable messages are stored', async () => (await count(s)()) >= 3);
      await p.pollNow();
      const rows = await s.rows(BOX);
      expect(fingerprint(rows)).toEqual(expected(msgs.filter((_, i) => i !== 1)));
      expect(rows.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 3, 4]);
      expect(await s.unfetched(BOX)).toEqual([2]);
      // Each attempt ended its connection (imapflow closes it on the NO): three, then no more.
      expect(failedSweeps(o)).toBe(3);
      expect(o.stats.outcomes.at(-1)).toBe(true);
    });

    it('tries unfetched messages again later, each in turn, without calling the mailbox failing', async () => {
      // UIDs 2 and 4 are refused until both are passed over; then 4 mends, 2 never does.
      const { s, o, msgs, readable } = await pollUnreadable(
        'retried',
        5,
        [1, 3],
        { attempts: 2, afterMs: 0 },
        5,
        1_000,
      );
      await waitUntil('UIDs 2 and 4 are recorded as unfetched', async () => {
        return (await s.unfetched(BOX)).length === 2;
      });
      const failures = failedSweeps(o);
      await readable(3);
      // Each round starts after the UID refused in the one before: 2 cannot keep 4 waiting.
      await waitUntil(
        'UID 4 is stored on a later try, and off the list',
        async () => (await s.unfetched(BOX)).length === 1 && (await count(s)()) >= 4,
        20_000,
      );
      const rows = await s.rows(BOX);
      expect(rows.map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 3, 4, 5]);
      expect(fingerprint(rows)).toEqual(expected(msgs.filter((_, i) => i !== 1)));
      expect(await s.unfetched(BOX)).toEqual([2]);
      // UID 2 was refused again on the way (its round ended the connection): not a failure of
      // the mailbox's polling, which the overview would show.
      expect(failedSweeps(o)).toBe(failures);
    });

    it('leaves an unfetched message alone until its retry interval is up', async () => {
      const { s, o, readable } = await pollUnreadable(
        'not-yet',
        3,
        [1],
        { attempts: 2, afterMs: 0 },
        3,
        60_000,
      );
      await waitUntil('UID 2 is recorded as unfetched', async () => {
        return (await s.unfetched(BOX)).length === 1;
      });
      await readable(1);
      // Sweeps that ran to their end (each reads the cursor first): none tried UID 2 again.
      const sweeps = o.stats.cursorCalls;
      await waitUntil('three more sweeps', async () => o.stats.cursorCalls >= sweeps + 3, 20_000);
      expect(await s.unfetched(BOX)).toEqual([2]);
      expect((await s.rows(BOX)).map((r) => r.uid).sort((a, b) => a - b)).toEqual([1, 3]);
    });

    it('passes over nothing while the message behind a failing one fails too', async () => {
      // Two unreadable in a row: the trouble is not one message's, as in a storage outage.
      const { s, o, p, msgs, readable } = await pollUnreadable('two-bad', 4, [1, 2], {
        attempts: 2,
        afterMs: 0,
      });
      // Each round: UID 2 fails twice, then UID 3 fails in its place and UID 2 starts afresh.
      await waitUntil('two rounds of failures', async () => failedSweeps(o) >= 6, 20_000);
      expect(await s.unfetched(BOX)).toEqual([]);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs.slice(0, 1)));

      // UID 3 readable again: UID 2 alone is at fault, and is passed over.
      await readable(2);
      await waitUntil('UIDs 3 and 4 are stored', async () => (await count(s)()) >= 3, 20_000);
      await p.pollNow();
      expect(await s.unfetched(BOX)).toEqual([2]);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs.filter((_, i) => i !== 1)));
    });

    it('keeps trying a failing last message, and passes it over once mail arrives behind it', async () => {
      const { s, o, p, msgs, appendAll } = await pollUnreadable(
        'last-bad',
        3,
        [1],
        { attempts: 2, afterMs: 0 },
        2, // the bad message is the last one in the mailbox
      );
      // Due to be passed over after two, but with nothing behind it it is tried again instead.
      await waitUntil('four failed sweeps', async () => failedSweeps(o) >= 4, 20_000);
      expect(await s.unfetched(BOX)).toEqual([]);

      await appendAll(msgs.slice(2));
      await waitUntil('UID 3 is stored', async () => (await count(s)()) >= 2, 20_000);
      await p.pollNow();
      expect(await s.unfetched(BOX)).toEqual([2]);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs.filter((_, i) => i !== 1)));
    });

    it('blames a store that fails mid-download (a full disk) on the store, and passes nothing over', async () => {
      const { poller, appendAll } = rig.get();
      const s = await newStore();
      // The middle one downloads in several pieces (the poller asks for ~1 MB at a time).
      const msgs = testMessages('disk-full', 3).map((m, i) =>
        i === 1 ? { ...m, raw: generatedMessage('disk-full', i, 2_000_000) } : m,
      );
      await appendAll(msgs);
      let full = true;
      const o = observed({
        ...s.sink,
        async ingest(input) {
          if (!full || input.uid !== 2) return s.sink.ingest(input);
          // As the blob store writes a download: into a file, each piece as it is read; here
          // the disk refuses the first, and the file is closed. That wait lets the AbortError
          // Node destroys the left stream with reach the poller first, as it does in the store.
          const name = path.join(tmpdir(), `disk-full-${process.pid}`);
          const file = await open(name, 'w');
          try {
            for await (const piece of input.raw as Readable) {
              if (piece.length > 0)
                throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            }
          } finally {
            await file.close();
            await rm(name, { force: true });
          }
          throw new Error('the download was empty');
        },
      });
      const p = poller(o.sink, { giveUp: { attempts: 2, afterMs: 0 } });
      await p.start();
      await waitUntil(
        'three failed sweeps, or UID 2 passed over',
        async () => failedSweeps(o) >= 3 || (await s.unfetched(BOX)).length > 0,
        20_000,
      );
      // Not the message's fault: UID 2 keeps its place, and nothing behind it is stored.
      expect(await s.unfetched(BOX)).toEqual([]);
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs.slice(0, 1)));

      full = false;
      await waitUntil('all 3 messages are stored', async () => (await count(s)()) >= 3, 20_000);
      await p.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs));
      expect(await s.unfetched(BOX)).toEqual([]);
    });

    it('fetches a message whole when its download differs from RFC822.SIZE, and stores its bytes', async () => {
      const { poller, appendAll } = rig.get();
      const s = await newStore();
      const msgs = testMessages('estimated-size', 3);
      await appendAll(msgs);
      // As from a server whose RFC822.SIZE is an estimate (Exchange's, by default).
      const asked: (number | undefined)[] = [];
      const sink: PollSink = {
        ...s.sink,
        ingest(input) {
          if (input.uid !== 2) return s.sink.ingest(input);
          asked.push(input.expectedSize);
          const { expectedSize } = input;
          return s.sink.ingest({
            ...input,
            expectedSize: expectedSize === undefined ? undefined : expectedSize + 100,
          });
        },
      };
      const o = observed(sink);
      const p = poller(o.sink);
      await p.start();
      await waitUntil('all 3 messages are stored', async () => (await count(s)()) >= 3);
      await p.pollNow();
      expect(fingerprint(await s.rows(BOX))).toEqual(expected(msgs));
      expect(asked).toEqual([msgs[1]?.raw.length, undefined]);
      expect(o.stats.outcomes).not.toContain(false);
      expect(await s.unfetched(BOX)).toEqual([]);
    });

    it('never sets \\Seen and marks stored messages with the $Intake keyword', async () => {
      const { poller, appendAll, flags } = rig.get();
      const s = await newStore();
      await appendAll(testMessages('flags', 5));
      const p = poller(s.sink);
      await p.start();
      await waitUntil('5 messages are stored', async () => (await count(s)()) >= 5);
      await p.pollNow();
      await p.stop();
      const all = await flags();
      expect(all).toHaveLength(5);
      for (const f of all) {
        expect(f.has('\\Seen')).toBe(false);
        expect(f.has(INTAKE_KEYWORD)).toBe(true);
      }
    });
  });
}
