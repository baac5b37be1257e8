// The evaluation threads are the service's critical path: at full load on two cores the one
// evaluation thread is busy all the time, and most of what else the process runs (V8's helper
// threads, libuv's, libvips's, the documents worker) is work it handed off, which can wait a
// moment. Under Linux's scheduler a thread it wakes takes its core (wake-up preemption), so the
// evaluation thread spent about a third of its time runnable, not running (README, "priorities").
// Those other threads run at a lower priority (a higher nice value), which a process may always
// do to its own threads (on Linux `setpriority` on a thread id applies to that thread alone), and
// may not undo: a thread lowered stays lowered, and threads it starts inherit its priority. So
// the thread that starts the evaluation threads (the main thread) keeps its own. Elsewhere (no
// /proc) nothing changes.
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice steps between the evaluation threads and the rest of the process. */
export const BACKGROUND_NICE_STEPS = 10;

/** The calling thread's id in the kernel, or undefined where there is no /proc. */
export function osThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers every thread of this process except `favoured` to `steps` nice steps below them
 * (never raising one: a thread already lower stays so) and returns how many it lowered. Threads
 * appear later too (libuv's pool on first use, libvips's, a documents worker), so callers call
 * this again now and then.
 */
export function favourThreads(favoured: Iterable<number>, steps = BACKGROUND_NICE_STEPS): number {
  const keep = new Set(favoured);
  if (keep.size === 0) return 0;
  let target: number;
  let tasks: string[];
  try {
    target = Math.min(19, Math.max(...[...keep].map((tid) => getPriority(tid))) + steps);
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0; // a favoured thread has ended, or there is no /proc: the next call will see
  }
  let lowered = 0;
  for (const name of tasks) {
    const tid = Number(name);
    if (keep.has(tid)) continue;
    try {
      if (getPriority(tid) < target) {
        setPriority(tid, target);
        lowered++;
      }
    } catch {
      // the thread ended between the listing and here
    }
  }
  return lowered;
}
