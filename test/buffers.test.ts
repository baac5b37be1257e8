// release(): a buffer's memory freed at the next young collection instead of the next full one,
// and only memory that is the buffer's own.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ownsMemory, release } from '../src/buffers.js';

v8.setFlagsFromString('--expose-gc');
// Freed memory is counted at once, not when V8's background sweep gets round to it.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const MB = 1024 * 1024;
const arrayBuffers = () => process.memoryUsage().arrayBuffers;

describe('release', () => {
  it('empties a buffer that owns its memory, and every other view of it', () => {
    const buf = Buffer.alloc(64 * 1024, 7);
    const view = new Uint8Array(buf.buffer);
    release(buf);
    expect(buf.length).toBe(0);
    expect(view.length).toBe(0);
  });

  it('takes a decoded buffer shorter than its memory (base64 is sized for the worst case)', () => {
    const decoded = Buffer.from(`${'QUJD'.repeat(19)}\r\n`.repeat(1000), 'base64');
    expect(decoded.length).toBeLessThan(decoded.buffer.byteLength);
    expect(ownsMemory(decoded)).toBe(false);
    release(decoded);
    expect(decoded.length).toBe(0);
  });

  it('leaves alone a slice further in, a small buffer and shared memory', () => {
    const whole = Buffer.alloc(64 * 1024, 1);
    const slice = whole.subarray(1024);
    release(slice);
    expect(slice.length).toBe(64 * 1024 - 1024);
    expect(whole.length).toBe(64 * 1024);

    // Small Buffers are slices of Node's pool, shared with whatever else was allocated there.
    const small = Buffer.from('小');
    const neighbour = Buffer.from('邻');
    release(small);
    expect(small.toString()).toBe('小');
    expect(neighbour.toString()).toBe('邻');

    const shared = new Uint8Array(new SharedArrayBuffer(64 * 1024));
    release(shared);
    expect(shared.length).toBe(64 * 1024);
  });

  it('does nothing to a buffer already released', () => {
    const buf = Buffer.alloc(64 * 1024);
    release(buf);
    expect(() => release(buf)).not.toThrow();
    expect(buf.length).toBe(0);
  });

  it('frees old memory at the next young collection, which alone would not', () => {
    // Buffers that lived through two young collections are old: dropped, they wait for a full
    // collection. Released, the next young one frees them. 48 MB: below the outside memory
    // (64 MB more than after the last full collection) at which V8 starts one by itself.
    const oldBuffers = () => {
      const bufs = Array.from({ length: 12 }, () => Buffer.alloc(4 * MB, 1));
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      return bufs;
    };
    gc();
    const base = arrayBuffers();

    oldBuffers(); // and dropped
    gc({ type: 'minor' });
    expect(arrayBuffers() - base).toBeGreaterThanOrEqual(44 * MB);
    gc();
    expect(arrayBuffers() - base).toBeLessThan(4 * MB);

    const released = oldBuffers();
    for (const buf of released) release(buf);
    gc({ type: 'minor' });
    expect(arrayBuffers() - base).toBeLessThan(4 * MB);
  });
});
