// Types of heap.mjs.

/** A full collection of this thread's heap, now. */
export function collectGarbage(): void;

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
