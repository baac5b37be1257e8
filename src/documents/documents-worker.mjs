// The documents worker's thread (worker.ts starts it): reads one file at a time for whichever
// thread asked, under worker.ts's memory cap and timeout. Plain .mjs so Node runs it without a
// TypeScript loader.
import { parentPort } from 'node:worker_threads';
import { readPdfText } from './pdf-text.mjs';
import { readDocBody, readDocxBlocks } from './word-tree.mjs';

const TASKS = { pdf: readPdfText, docx: readDocxBlocks, doc: readDocBody };

parentPort.on('message', async ({ id, task }) => {
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
});

/** The ArrayBuffers that these views alone cover, which can be transferred without harm. */
function wholeBuffers(views) {
  return views
    .filter((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
    .map((v) => v.buffer);
}
