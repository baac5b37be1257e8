// The heap watch of the main thread and the documents worker (src/heap.mjs): a collection when the
// heap has grown by half since the last one, never below the floor; and `collectGarbage` is a real
// collection.
import { describe, expect, it } from 'vitest';
import { collectGarbage, watchHeap } from '../src/heap.mjs';

const MB = 1024 * 1024;

describe('heap watch', () => {
  it('collects once the heap passes 48 MB, then once it has grown by half what the collection kept', () => {
    let heap = 40 * MB;
    const collections: number[] = [];
    const watch = watchHeap({
      used: () => heap,
      collect: () => {
        collections.push(heap);
        heap = 42 * MB; // what a collection keeps
      },
      everyMs: 60_000,
    });
    try {
      watch.check();
      heap = 47 * MB;
      watch.check();
      expect(collections).toEqual([]);
      heap = 50 * MB;
      watch.check();
      expect(collections).toEqual([50 * MB]);
      // Kept 42 MB: the next collection at 63 MB, not at 48.
      heap = 62 * MB;
      watch.check();
      expect(collections).toHaveLength(1);
      heap = 64 * MB;
      watch.check();
      expect(collections).toEqual([50 * MB, 64 * MB]);
    } finally {
      watch.stop();
    }
  });

  it('collectGarbage frees what nothing holds', async () => {
    let held: object | undefined = { big: new Array(1000).fill('x') };
    const gone = new WeakRef(held);
    held = undefined;
    // A WeakRef's target stays for the rest of the task that made it.
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(gone.deref()).toBeUndefined();
  });
});
