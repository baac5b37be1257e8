// The documents worker's thread (worker.ts starts it): reads one file at a time for whichever
// thread asked, under worker.ts's memory cap and timeout. Plain .mjs so Node runs it without a
// TypeScript loader.
import { parentPort, resourceLimits } from 'node:worker_threads';
import { collectGarbage, watchHeap } from '../heap.mjs';
import { readPdfText } from './pdf-text.mjs';
import { readDocBody, readDocxBlocks } from './word-tree.mjs';

const TASKS = { pdf: readPdfText, docx: readDocxBlocks, doc: readDocBody };

// The memory cap (worker.ts) holds V8's heap; a stream pdf.js decodes is one buffer outside it.
// No such buffer may be larger than the cap either (scripts/patch-dependencies.mjs).
globalThis.caseIntakeMaxDecodedBytes =
  (resourceLimits.maxOldGenerationSizeMb ?? Infinity) * 2 ** 20;

// This thread's heap is held as the service's main thread's is (heap.mjs). V8 runs a full
// collection when a thread's outside memory has grown 64 MB, or when its heap has grown to what
// the last collection kept times --heap-growing-percent (four times, under `npm start`). With the
// files' memory freed as each is done with (here and in pdf-text.mjs), only the second is left,
// and at full load this heap grew to ~90 MB, most of it garbage. A collection costs the libraries'
// compiled code (docs/performance.md, "recompiling"), so it is run rarely: once the heap has
// passed 48 MB and half again what the last collection kept, looked at after each file (and by
// the watch's own timer).
const heap = watchHeap();

parentPort.on('message', async ({ id, task, collect }) => {
  // Asked by an idle evaluation thread (worker.ts, `collectDocumentsWorker`).
  if (collect) return parentPort.postMessage({ collected: collectGarbage() });
  try {
    const result = await TASKS[task.kind](task);
    // A PDF's page pictures move, not copy, to the caller (each is a copy of its own).
    parentPort.postMessage({ id, ok: true, result }, wholeBuffers(result.images ?? []));
  } catch (err) {
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: err?.name ?? 'Error', message: String(err?.message ?? err) },
    });
  }
  // The file's bytes are done with: freed now, not at this thread's next full collection (as
  // release() in buffers.ts does; a PDF's were moved on to pdf.js, which leaves this empty).
  if (task.data.byteLength > 0) structuredClone(task.data, { transfer: [task.data] });
  heap.check();
});

/** The ArrayBuffers that these views alone cover, which can be transferred without harm. */
function wholeBuffers(views) {
  return views
    .filter((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
    .map((v) => v.buffer);
}
