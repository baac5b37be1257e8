// Freeing a buffer's memory when its owner is done with it, not when V8 gets round to it.
//
// A Buffer's bytes live outside V8's heap and are freed when V8 collects the ArrayBuffer object
// that holds them: at the next young collection while that object is young, at the next full
// collection once it has lived through two young ones. Most of a message's buffers live that
// long (an attachment's decoded pieces while the rest of it streams in, a file while it is
// read), and a thread runs a full collection only every second or so: until then they sit
// dead beside the live ones (docs/performance.md, "dead buffers"). Moving the bytes to a new
// ArrayBuffer that nothing holds (`structuredClone` with `transfer`) leaves the old one empty
// and the new one young, so the next young collection frees them.

/** Whether `view` covers its whole ArrayBuffer: it is no slice of a slab others share. */
export function ownsMemory(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/**
 * Frees the memory under `view` at the thread's next young collection and leaves `view` empty
 * (length 0). The caller vouches that no other view of that memory is still in use: a decoder's
 * output, a join (Buffer.concat), an inflated file. Such a Buffer may be shorter than its memory
 * (Node sizes a base64 decode for the worst case), so only a view that starts its memory is
 * taken; a slice further in is certainly part of something else. Small memory is left alone (it
 * may be Node's pool of small Buffers, which others share), and so is a SharedArrayBuffer.
 */
export function release(view: ArrayBufferView): void {
  const memory = view.buffer;
  if (view.byteOffset !== 0 || !(memory instanceof ArrayBuffer)) return;
  if (memory.byteLength <= Buffer.poolSize) return;
  structuredClone(memory, { transfer: [memory] });
}
