// The service as real processes (scripts/faults/service.ts): one poller and a few workers, under
// a small supervisor that does what systemd or a container runtime would — start a process again
// when it dies. Deaths the suite causes (SIGKILL) are expected; any other exit is a crash and is
// counted, because a healthy service must not need one.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const ENTRY = path.join(ROOT, 'scripts/faults/service.ts');

export interface ServiceOptions {
  vars: Record<string, string>;
  logDir: string;
  workers: number;
  lockMs: number;
  sweepMs: number;
  concurrency: number;
}

interface Slot {
  role: 'poll' | 'worker';
  index: number;
  child?: ChildProcess;
  ready?: Promise<void>;
  /** Set while this slot's current process is meant to die (SIGKILL by the suite, or stop). */
  expectExit: boolean;
  /** The current process said it is ready (a kill before that tests start-up, not work). */
  up?: boolean;
}

export interface Services {
  start(): Promise<void>;
  /** SIGKILLs one worker process (chosen at random); the supervisor starts it again. */
  killWorker(): number | undefined;
  /** When each SIGKILL was sent (Date.now()). */
  kills(): number[];
  /** Resolves when every slot has a process that said it is ready. */
  allReady(): Promise<void>;
  /** Exits nobody asked for. */
  crashes(): number;
  restarts(): number;
  stop(): Promise<void>;
}

export function createServices(opts: ServiceOptions): Services {
  const slots: Slot[] = [
    { role: 'poll', index: 0, expectExit: false },
    ...Array.from({ length: opts.workers }, (_, i) => ({
      role: 'worker' as const,
      index: i,
      expectExit: false,
    })),
  ];
  let stopping = false;
  let crashCount = 0;
  let restartCount = 0;
  const killTimes: number[] = [];
  const logs = new Map<string, WriteStream>();

  function logOf(slot: Slot): WriteStream {
    const name = `${slot.role}-${slot.index}.log`;
    let s = logs.get(name);
    if (!s) {
      s = createWriteStream(path.join(opts.logDir, name), { flags: 'a' });
      logs.set(name, s);
    }
    return s;
  }

  function launch(slot: Slot): Promise<void> {
    const args = [String(opts.lockMs), String(opts.sweepMs), String(opts.concurrency)];
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, slot.role, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    slot.child = child;
    slot.expectExit = false;
    slot.up = false;
    const log = logOf(slot);
    child.stderr?.pipe(log, { end: false });
    slot.ready = new Promise<void>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        log.write(d);
        if (d.toString().includes('service ready')) {
          slot.up = true;
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    child.once('exit', (code, signal) => {
      slot.up = false;
      log.write(`--- exited code=${code} signal=${signal}\n`);
      if (stopping) return;
      if (!slot.expectExit) crashCount++;
      restartCount++;
      // A supervisor's restart delay; the new process runs the start-up sweep.
      setTimeout(() => {
        if (!stopping) void launch(slot);
      }, 300);
    });
    return slot.ready;
  }

  return {
    async start() {
      await Promise.all(slots.map(launch));
    },
    killWorker() {
      const live = slots.filter((s) => s.role === 'worker' && s.up);
      const slot = live[Math.floor(Math.random() * live.length)];
      if (!slot?.child?.pid) return undefined;
      slot.expectExit = true;
      killTimes.push(Date.now());
      slot.child.kill('SIGKILL');
      return slot.child.pid;
    },
    kills: () => [...killTimes],
    async allReady() {
      // Bounded: a process that keeps crashing shows up as crashes, not as a hung suite.
      const until = Date.now() + 60_000;
      while (!slots.every((s) => s.up) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    crashes: () => crashCount,
    restarts: () => restartCount,
    async stop() {
      stopping = true;
      await Promise.all(
        slots.map(async (s) => {
          const c = s.child;
          if (!c || c.exitCode !== null || c.signalCode) return;
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      for (const s of logs.values()) s.end();
    },
  };
}
