// Types of heap.mjs.

/** A thread's V8 heap in use before and after a full collection, in MB. */
export interface HeapCollected {
  beforeMb: number;
  afterMb: number;
}

/** A full collection of this thread's heap, now; returns its V8 heap in use before and after. */
export function collectGarbage(): HeapCollected;

export interface HeapWatch {
  /** Collects if the heap has passed its ceiling; the timer calls it. */
  check(): void;
  stop(): void;
}

/** Collects this thread's heap whenever it has grown by half since the last collection. */
export function watchHeap(opts?: {
  used?: () => number;
  collect?: () => void;
  everyMs?: number;
}): HeapWatch;
