// The pipeline: `intake start` as a child process against a throwaway Dovecot, a private Redis
// and an in-process SMTP sink. Messages are APPENDed (the full load to a staging folder first,
// then moved into INBOX at once, so the APPENDs are not in the measured time); a message is done
// when its reply (matched by In-Reply-To) reaches the sink. CPU is read from /proc for the service's process tree and
// the private Redis; Dovecot and the sink are the outside world and are not counted.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../src/net.js';
import { imapVars, startDovecot, type TestDovecot } from '../../test/support/dovecot.js';
import { startRedis } from '../../test/support/redis.js';
import { smtpVars, startSmtpSink } from '../../test/support/smtp-sink.js';
import type { BenchMessage } from './generate.js';
import {
  type Counter,
  machineTicks,
  type ProcSample,
  processTree,
  rssSampler,
  sample,
  threadCpu,
  threadCpuDelta,
} from './procstat.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const STAGING = 'Staging';

export interface LogLine {
  time: number;
  msg: string;
  [key: string]: unknown;
}

export interface PipelineResult {
  cpuMsPerMsg: number;
  /** Of cpuMsPerMsg, the kernel's time. */
  systemMsPerMsg: number;
  minorFaultsPerMsg: number;
  msgsPerSec: number;
  latenciesMs: number[];
  lightLatenciesMs: number[];
  bigLatencyMs: number;
  processes: ProcSample[];
  /** The service process's largest resident set (MB) while idle, at full load, at light load. */
  rssMb: { idle: number; full: number; light: number };
  /** The share of the machine's CPU in use at full load (the service, Dovecot, this bench…). */
  machineBusy: number;
  /** The machine's CPU ticks through the full load, every 250 ms (ms since the epoch). */
  machineSeries: MachineSample[];
  /**
   * CPU ms a message at full load outside the service, on the same cores: Dovecot (all its
   * processes) and this bench's own process (the SMTP sink, the samplers).
   */
  outsideMsPerMsg: { dovecot: number; bench: number };
  /** When the full load arrived and when its last reply did (ms since the epoch). */
  fullLoad: { from: number; to: number };
  /** The service's CPU ms at full load by thread name (live threads only). */
  threads: Map<string, number>;
  logs: LogLine[];
  /** Bench Message-ID → arrival in INBOX (APPEND, or the move of the full load), IMAP UID. */
  arrivals: Map<string, { arrivedAt: number; uid: number }>;
  replies: Map<string, number>;
}

export interface MachineSample {
  time: number;
  busy: number;
  total: number;
}

const inReplyTo = (raw: Buffer) =>
  /^In-Reply-To:[ \t]*(<[^>\r\n]+>)/im.exec(
    raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '',
  )?.[1];

export async function runPipeline(opts: {
  /** Appended and answered before anything is measured. */
  warm: BenchMessage[];
  full: BenchMessage[];
  light: BenchMessage[];
  big: BenchMessage;
  receivedAt: Date;
  log: (line: string) => void;
}): Promise<PipelineResult> {
  const redis = await startRedis();
  const dovecot = await startDovecot();
  const sink = await startSmtpSink();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'intake-bench-data-'));
  const replies = new Map<string, number>();
  sink.onMessage = (m) => {
    const id = inReplyTo(m.raw);
    if (id) replies.set(id, Date.now());
  };
  const logs: LogLine[] = [];
  let service: ChildProcess | undefined;
  try {
    service = await startService(dataDir, redis.url, dovecot, sink.port, logs, opts.log);
    const pids = () => [...processTree(service?.pid ?? 0), ...redisPids()];
    const arrivals = new Map<string, { arrivedAt: number; uid: number }>();
    const append = async (m: BenchMessage) => {
      const uid = await dovecot.append(m.raw, opts.receivedAt);
      arrivals.set(m.messageId, { arrivedAt: Date.now(), uid });
    };
    const waitReplies = (ms: BenchMessage[], what: string) =>
      waitUntil(what, () => ms.every((m) => replies.has(m.messageId)), 30_000 + ms.length * 20_000);

    const rss = rssSampler(service.pid ?? 0);
    await sleep(1_000);
    const idleRss = rss.take();
    for (const m of opts.warm) await append(m);
    await waitReplies(opts.warm, 'every warm-up reply');
    opts.log(`bench: ${opts.warm.length} warm-up messages answered`);
    // Full load: every message arrives in INBOX at once.
    await dovecot.createMailbox(STAGING);
    for (const m of opts.full) await dovecot.append(m.raw, opts.receivedAt, STAGING);
    const before = sample(pids());
    const dovecotBefore = sample(dovecotPids(dovecot));
    const benchBefore = process.cpuUsage();
    const threadsBefore = threadCpu(service.pid ?? 0);
    const machineBefore = machineTicks();
    const started = Date.now();
    const machineSeries: MachineSample[] = [{ time: started, ...machineBefore }];
    const sampling = setInterval(
      () => machineSeries.push({ time: Date.now(), ...machineTicks() }),
      250,
    ).unref();
    const uids = await dovecot.release(STAGING);
    for (const [i, m] of opts.full.entries()) {
      arrivals.set(m.messageId, { arrivedAt: started, uid: uids[i] ?? 0 });
    }
    opts.log(`bench: ${opts.full.length} messages moved into INBOX in ${Date.now() - started} ms`);
    await waitReplies(opts.full, 'every full-load reply');
    const elapsed = Date.now() - started;
    const after = sample(pids());
    const dovecotMs = spent(dovecotBefore, sample(dovecotPids(dovecot)), 'cpuMs');
    const bench = process.cpuUsage(benchBefore);
    const threads = threadCpuDelta(threadsBefore, threadCpu(service.pid ?? 0));
    const fullRss = rss.take();
    const machineAfter = machineTicks();
    clearInterval(sampling);
    machineSeries.push({ time: Date.now(), ...machineAfter });
    const machineBusy =
      (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    const used = (k: Counter) => spent(before, after, k);

    // Light load: one message a second, the poller idling (IDLE) between them; the 30 MB case
    // in the middle.
    opts.log(`bench: light load, ${opts.light.length} messages at 1/s`);
    const light = [...opts.light];
    light.splice(Math.floor(light.length / 2), 0, opts.big);
    await sleep(6_000); // let the poller settle into IDLE
    for (const m of light) {
      const next = sleep(1_000);
      await append(m);
      await next;
    }
    await waitReplies(light, 'every light-load reply');
    const lightRss = rss.take();
    rss.stop();
    const latency = (m: BenchMessage) =>
      (replies.get(m.messageId) ?? 0) - (arrivals.get(m.messageId)?.arrivedAt ?? 0);
    return {
      cpuMsPerMsg: used('cpuMs') / opts.full.length,
      systemMsPerMsg: used('systemMs') / opts.full.length,
      minorFaultsPerMsg: used('minorFaults') / opts.full.length,
      msgsPerSec: (opts.full.length * 1000) / elapsed,
      latenciesMs: opts.full.map(latency),
      lightLatenciesMs: opts.light.map(latency),
      bigLatencyMs: latency(opts.big),
      processes: sample(pids()),
      rssMb: { idle: idleRss, full: fullRss, light: lightRss },
      machineBusy,
      machineSeries,
      outsideMsPerMsg: {
        dovecot: dovecotMs / opts.full.length,
        bench: (bench.user + bench.system) / 1000 / opts.full.length,
      },
      fullLoad: { from: started, to: started + elapsed },
      threads,
      logs,
      arrivals,
      replies,
    };
  } finally {
    await stopService(service);
    await sink.stop();
    await dovecot.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The private redis-server(s) this bench process started (test/support/redis.ts). */
function redisPids(): number[] {
  return sample(processTree(process.pid))
    .filter((p) => p.name.startsWith('redis-server'))
    .map((p) => p.pid);
}

/** Dovecot's processes: it daemonises, so they are not in this bench's process tree. */
function dovecotPids(dovecot: TestDovecot): number[] {
  const master = dovecot.masterPid();
  return master ? processTree(master) : [];
}

const sum = (s: ProcSample[], k: Counter) => s.reduce((n, p) => n + p[k], 0);

/** A counter's growth between two samples; a process that started in between counts whole. */
const spent = (before: ProcSample[], after: ProcSample[], k: Counter) =>
  sum(after, k) -
  sum(
    before.filter((b) => after.some((a) => a.pid === b.pid)),
    k,
  );

async function startService(
  dataDir: string,
  redisUrl: string,
  dovecot: TestDovecot,
  smtpPort: number,
  logs: LogLine[],
  log: (line: string) => void,
): Promise<ChildProcess> {
  const env = {
    ...process.env,
    ...startScript().env,
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    ...imapVars(dovecot),
    ...smtpVars({ host: '127.0.0.1', port: smtpPort }),
    REPLY_FROM: '案例征集组 <zhaofeifei1@xinhua.org>',
    WEB_HOST: '127.0.0.1',
    WEB_PORT: String(await freePort()),
    ADMIN_PASSWORD: 'bench-admin-password',
    LOG_LEVEL: 'info',
  };
  // What `npm start` runs: the build, with its allocator settings (package.json).
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs')]);
  const child = spawn(
    process.execPath,
    [...startScript().nodeArgs, ...benchNodeArgs(), path.join(ROOT, 'dist/main.js'), 'start'],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let pending = '';
  const running = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLine(line);
        if (!entry) {
          if (line.trim()) log(`service: ${line.slice(0, 400)}`); // e.g. a configuration error
          continue;
        }
        logs.push(entry);
        if (entry.msg === 'case-intake running') resolve();
        if (Number(entry.level) >= 50) log(`service: ${line.slice(0, 400)}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`intake start exited early (${code})`)));
  });
  await running;
  return child;
}

/**
 * How `npm start` runs node (package.json): the variables set before it (glibc's allocator
 * settings) and node's own flags, so the bench measures the same process.
 */
export function startScript(): { env: Record<string, string>; nodeArgs: string[] } {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const words = (String(pkg.scripts.start).split('&&').pop() ?? '').trim().split(/\s+/);
  const node = words.indexOf('node');
  const script = words.indexOf('dist/main.js');
  if (node < 0 || script < node) throw new Error("bench: cannot read package.json's start script");
  const env = words.slice(0, node).map((w) => w.split('='));
  return {
    env: Object.fromEntries(env.map(([k, ...v]) => [k, v.join('=')])),
    nodeArgs: words.slice(node + 1, script),
  };
}

/** BENCH_PROFILE=DIR profiles the service (node --cpu-prof, one file per thread). */
function benchNodeArgs(): string[] {
  const dir = process.env.BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

function parseLine(line: string): LogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return null;
  }
}

async function stopService(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}
