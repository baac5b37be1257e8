// Prometheus metrics (the only importer of prom-client). Every value is read from the store at
// scrape time, so any web process reports the whole service, not its own share of the work.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Db } from '../store/db.js';

export interface Metrics {
  contentType: string;
  render(): Promise<string>;
}

const RECENT = 500;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function createMetrics(db: Db): Metrics {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'intake_web_' });
  // A gauge per table: rows counted by one column at scrape time.
  const countBy = (
    name: string,
    help: string,
    label: string,
    rows: () => Promise<{ k: string; n: unknown }[]>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [register],
      async collect() {
        this.reset();
        for (const r of await rows()) this.set({ [label]: r.k }, Number(r.n));
      },
    });
  countBy('intake_messages_ingested', 'Messages stored, by processing state', 'state', () =>
    db.k
      .selectFrom('messages')
      .select((eb) => [eb.ref('state').as('k'), eb.fn.countAll().as('n')])
      .groupBy('state')
      .execute(),
  );
  countBy(
    'intake_submissions',
    'Submissions filed, by verdict (duplicates excluded)',
    'verdict',
    () =>
      db.k
        .selectFrom('submissions')
        .select((eb) => [eb.ref('verdict').as('k'), eb.fn.countAll().as('n')])
        .where('duplicate_of', 'is', null)
        .groupBy('verdict')
        .execute(),
  );
  countBy(
    'intake_unfetched_messages',
    'Messages the IMAP server would not hand over, passed over by the poller and not fetched since (by hand or on a later try)',
    'mailbox',
    () =>
      db.k
        .selectFrom('unfetched_messages')
        .select((eb) => [eb.ref('mailbox').as('k'), eb.fn.countAll().as('n')])
        .where('resolved_at', 'is', null)
        .groupBy('mailbox')
        .execute(),
  );
  countBy('intake_replies', 'Replies to applicants, by state', 'state', () =>
    db.k
      .selectFrom('replies')
      .select((eb) => [eb.ref('state').as('k'), eb.fn.countAll().as('n')])
      .groupBy('state')
      .execute(),
  );
  new Gauge({
    name: 'intake_processing_seconds',
    help: `Time from storing a message to filing it, over the last ${RECENT} processed messages`,
    labelNames: ['quantile'],
    registers: [register],
    async collect() {
      this.reset();
      const rows = await db.k
        .selectFrom('messages')
        .select(['created_at', 'processed_at'])
        .where('state', '=', 'processed')
        .orderBy('id', 'desc')
        .limit(RECENT)
        .execute();
      const secs = rows
        .map((r) => (Date.parse(r.processed_at ?? '') - Date.parse(r.created_at)) / 1000)
        .filter((s) => Number.isFinite(s) && s >= 0)
        .sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.99]) this.set({ quantile: String(q) }, quantile(secs, q));
      this.set({ quantile: '1' }, secs.at(-1) ?? 0);
    },
  });
  new Gauge({
    name: 'intake_last_poll_age_seconds',
    help: 'Seconds since the last successful poll of each mailbox (-1: never)',
    labelNames: ['mailbox'],
    registers: [register],
    async collect() {
      this.reset();
      const rows = await db.k
        .selectFrom('mailbox_cursors')
        .select(['mailbox', 'last_poll_at'])
        .execute();
      for (const r of rows) {
        const age = r.last_poll_at ? (Date.now() - Date.parse(r.last_poll_at)) / 1000 : -1;
        this.set({ mailbox: r.mailbox }, age);
      }
    },
  });
  return { contentType: register.contentType, render: () => register.metrics() };
}
