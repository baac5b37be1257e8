// One fault scenario from start to verdict: fresh servers, the service as processes, a third of
// the mail appended, the fault (while the next third arrives), the rest, then wait until every
// message is filed and answered, probe that the service still works, and count.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultMessage, faultMessages } from './messages.js';
import { type FaultRig, startRig } from './rig.js';
import type { Scenario } from './scenarios.js';
import { type Outcome, outcome } from './verify.js';

export interface RunOptions {
  messages: number;
  ci: boolean;
  logDir: string;
  /** How long to wait for everything to settle after the last message. */
  settleMs?: number;
  progress?: (line: string) => void;
}

/** The README's row of one scenario: its counts (verify.ts's Outcome) and how it went. */
export interface ScenarioRow extends Omit<Outcome, 'done'> {
  scenario: string;
  store: string;
  messagesIn: number;
  crashes: number;
  healthy: boolean;
  /** From the fault's end until every message that arrived before it is filed and answered. */
  recoverSeconds: number | null;
  note: string;
  skipped?: string;
}

const APPEND_DATE = new Date('2025-10-10T10:00:00+08:00');

/** Appends, retrying through an IMAP outage (the harness is a sender; it waits like one). */
async function append(rig: FaultRig, m: FaultMessage): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await rig.dovecot.append(m.raw, APPEND_DATE);
      return;
    } catch (err) {
      if (tries > 120) throw err;
      await sleep(500);
    }
  }
}

async function waitUntil(check: () => Promise<boolean>, until: number): Promise<boolean> {
  while (Date.now() < until) {
    // The store itself may be the fault: a failed look is just "not yet".
    if (await check().catch(() => false)) return true;
    await sleep(500);
  }
  return false;
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioRow> {
  const row: ScenarioRow = {
    scenario: scenario.name,
    store: scenario.store,
    messagesIn: 0,
    filed: 0,
    lost: 0,
    doubled: 0,
    repliesMissing: 0,
    repliesDoubled: 0,
    resent: 0,
    stuck: 0,
    crashes: 0,
    healthy: false,
    recoverSeconds: null,
    note: '',
    problems: [],
  };
  const skip = scenario.unavailable?.();
  if (skip) return { ...row, skipped: skip };
  const say = opts.progress ?? (() => undefined);
  const runId = randomBytes(3).toString('hex');
  const messages = await faultMessages(runId, opts.messages);
  const [probe] = await faultMessages(`${runId}probe`, 1);
  const logDir = path.join(opts.logDir, scenario.name);
  await mkdir(logDir, { recursive: true });
  const t0 = Date.now();
  const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const rig = await startRig({
    store: scenario.store,
    tmpfsBlobsMb: scenario.tmpfsBlobsMb,
    workers: 2,
    concurrency: 2,
    lockMs: 3_000,
    sweepMs: 2_000,
    logDir,
  });
  // The kills so far explain a reply's second copy (verify.ts).
  const look = (of: FaultMessage[], aside: FaultMessage[] = []) =>
    outcome(rig.db, rig.sink, of, { aside, kills: rig.services.kills() });
  try {
    await rig.services.start();
    say(`${scenario.name}: servers and service up at ${at()}`);
    const third = Math.ceil(messages.length / 3);
    for (const m of messages.slice(0, third)) await append(rig, m);
    say(`${scenario.name}: ${third} appended, fault starts at ${at()}`);
    const notes: string[] = [];
    const fault = scenario.fault({ rig, ci: opts.ci, note: (t) => notes.push(t) });
    for (const m of messages.slice(third, 2 * third)) await append(rig, m);
    await fault;
    const liftedAt = Date.now();
    // One deadline for recovering and settling: a run that never recovers ends in settleMs.
    const deadline = liftedAt + (opts.settleMs ?? 300_000);
    row.note = notes.join('; ');
    say(`${scenario.name}: fault over at ${at()} (${row.note})`);
    const before = messages.slice(0, 2 * third);
    const recovered = waitUntil(async () => {
      const o = await look(before);
      return before.every((m) => o.done.has(m.messageId));
    }, deadline).then((ok) => {
      if (ok) row.recoverSeconds = Math.round((Date.now() - liftedAt) / 100) / 10;
    });
    for (const m of messages.slice(2 * third)) await append(rig, m);
    await recovered;
    await waitUntil(async () => {
      const o = await look(messages);
      return o.done.size === messages.length && o.stuck === 0;
    }, deadline);
    say(`${scenario.name}: settled at ${at()}`);
    // Healthy without a hand: one more message, after everything, goes all the way through.
    if (probe) {
      await append(rig, probe);
      row.healthy = await waitUntil(async () => {
        const o = await look([probe]);
        return o.done.has(probe.messageId);
      }, Date.now() + 60_000);
    }
    await sleep(1_000); // a late duplicate send would show up now
    const o = await look(messages, probe ? [probe] : []);
    Object.assign(row, {
      messagesIn: messages.length,
      filed: o.filed,
      lost: o.lost,
      doubled: o.doubled,
      repliesMissing: o.repliesMissing,
      repliesDoubled: o.repliesDoubled,
      resent: o.resent,
      stuck: o.stuck,
      crashes: rig.services.crashes(),
      problems: o.problems.slice(0, 20),
    });
    return row;
  } finally {
    await rig.dispose();
  }
}

/** True when the row shows nothing lost, doubled, stuck or broken. */
export function rowPassed(r: ScenarioRow): boolean {
  if (r.skipped) return true;
  return (
    r.lost === 0 &&
    r.doubled === 0 &&
    r.repliesMissing === 0 &&
    r.repliesDoubled === 0 &&
    r.stuck === 0 &&
    r.crashes === 0 &&
    r.healthy &&
    r.filed === r.messagesIn
  );
}

export function formatTable(rows: ScenarioRow[]): string {
  const head = [
    'scenario',
    'store',
    'messages in',
    'filed',
    'lost',
    'doubled',
    'replies missing',
    'replies doubled',
    'resent after a kill',
    'stuck',
    'crashes',
    'healthy',
    'seconds to recover',
  ];
  const body = rows.map((r) =>
    r.skipped
      ? [r.scenario, r.store, `skipped: ${r.skipped}`, ...Array<string>(10).fill('')]
      : [
          r.scenario,
          r.store,
          String(r.messagesIn),
          String(r.filed),
          String(r.lost),
          String(r.doubled),
          String(r.repliesMissing),
          String(r.repliesDoubled),
          String(r.resent),
          String(r.stuck),
          String(r.crashes),
          r.healthy ? 'yes' : 'NO',
          r.recoverSeconds === null ? 'never' : r.recoverSeconds.toFixed(1),
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}
