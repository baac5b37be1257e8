// Full garbage collections on request, and a thread's heap kept from growing for hours.
//
// `npm start` passes --heap-growing-percent=300 for the evaluation threads' sake: a full
// collection makes them compile their libraries' closures again, so fewer is faster
// (docs/performance.md, "recompiling"). V8's flags are the process's, so the main thread too
// collects its old generation only once it has grown to four times what the last collection
// kept. Idle, V8's memory reducer collects it; under hours of load nothing does, and a 600-message
// run took its heap from 37 MB kept to 71 MB and still growing, on its way to ~150. The main
// thread compiles little per message, so here a collection is cheap (~50 ms): `watchHeap` runs
// one when the heap has grown by half since the last, looking every few seconds. The documents
// worker holds its heap the same way (documents-worker.mjs). Plain JavaScript (types in
// heap.d.mts) so that the worker, which runs without a TypeScript loader, can import it.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc;

/** A full collection of this thread's heap, now; returns its V8 heap in use before and after. */
export function collectGarbage() {
  if (!gc) {
    // V8's `gc` is exposed only by a flag; setting it now gives new contexts the function.
    v8.setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  }
  const beforeMb = usedMb();
  gc();
  return { beforeMb, afterMb: usedMb() };
}

const usedMb = () => Math.round(v8.getHeapStatistics().used_heap_size / 2 ** 20);

/** Below this a heap is left to V8 (the main thread keeps ~40 MB alive running everything). */
const MIN_CEILING_BYTES = 48 * 1024 * 1024;
/** A collection when the heap is this many times what the last one kept. */
const GROWTH = 1.5;
const EVERY_MS = 5_000;

/** Collects this thread's heap whenever it has grown by half since the last collection. */
export function watchHeap(opts = {}) {
  const used = opts.used ?? (() => v8.getHeapStatistics().used_heap_size);
  const collect = opts.collect ?? collectGarbage;
  let ceiling = MIN_CEILING_BYTES;
  const check = () => {
    if (used() < ceiling) return;
    collect();
    ceiling = Math.max(MIN_CEILING_BYTES, GROWTH * used());
  };
  const timer = setInterval(check, opts.everyMs ?? EVERY_MS).unref();
  return { check, stop: () => clearInterval(timer) };
}
