// CPU and memory of running processes from /proc (Linux): utime+stime of every thread of a
// process (worker threads and libvips threads included), the kernel's share of it and the minor
// page faults behind much of that share, and VmHWM, its peak resident set.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

interface Stat {
  ppid: number;
  name: string;
  cpuMs: number;
  /** Of cpuMs, the time in the kernel (stime). */
  systemMs: number;
  minorFaults: number;
}

/** The per-process counters the bench subtracts between two samples. */
export type Counter = 'cpuMs' | 'systemMs' | 'minorFaults';

export interface ProcSample extends Omit<Stat, 'ppid'> {
  pid: number;
  peakRssMb: number;
}

function parseStat(text: string): Stat {
  // The name is in parentheses and may contain spaces: split after the last ')'.
  const close = text.lastIndexOf(')');
  const name = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // Fields after the name, 0-based: 1 ppid, 7 minflt, 11 utime, 12 stime (the whole process's
  // at /proc/PID/stat, one thread's at /proc/PID/task/TID/stat).
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return {
    ppid: Number(f[1]),
    name,
    cpuMs: ms(Number(f[11]) + Number(f[12])),
    systemMs: ms(Number(f[12])),
    minorFaults: Number(f[7]),
  };
}

function stat(pid: number): Stat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // exited
  }
}

function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** `root` and all its descendants, alive now. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) parents.set(pid, s.ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

export function sample(pids: number[]): ProcSample[] {
  return pids.flatMap((pid) => {
    const s = stat(pid);
    if (!s) return [];
    const { ppid: _, ...rest } = s;
    return [{ pid, ...rest, peakRssMb: peakRssMb(pid) }];
  });
}

/**
 * CPU ms of a process's live threads by thread id, with the thread's name. A thread that has
 * exited is no longer listed.
 */
export function threadCpu(pid: number): Map<string, { name: string; cpuMs: number }> {
  const out = new Map<string, { name: string; cpuMs: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      out.set(tid, { name: s.name, cpuMs: s.cpuMs });
    } catch {
      // exited
    }
  }
  return out;
}

/**
 * CPU ms spent between two `threadCpu` readings by thread: Node gives its worker threads the
 * main thread's name, so they are told apart by thread id ("node 1234"; the main thread's id is
 * the pid).
 */
export function threadCpuDelta(
  before: ReturnType<typeof threadCpu>,
  after: ReturnType<typeof threadCpu>,
): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const [tid, t] of after) {
    byThread.set(`${t.name} ${tid}`, t.cpuMs - (before.get(tid)?.cpuMs ?? 0));
  }
  return byThread;
}

/** The service's resident set sampled every 100 ms: the largest seen since the last `take`. */
export function rssSampler(pid: number) {
  let max = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) max = Math.max(max, Number(m[1]) / 1024);
    } catch {
      // exited
    }
  }, 100);
  timer.unref();
  return {
    take(): number {
      const seen = max;
      max = 0;
      return seen;
    },
    stop: () => clearInterval(timer),
  };
}

/** The machine's CPU ticks so far, busy and all (the first line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1) ?? [];
  const n = f.map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}
