// A minimal zip writer for the hostile corpus: entries with raw (undecoded) names, stored or
// deflated, content given as a Buffer or as a chunk generator so a 1 GB entry is compressed
// without ever being held in memory. Sizes stay below 4 GB, so no zip64 records are needed.
import { crc32, createDeflateRaw } from 'node:zlib';

export interface ZipSource {
  /** Raw name bytes (a string is written as UTF-8 with the UTF-8 flag set). */
  name: string | Buffer;
  data: Buffer | (() => Iterable<Buffer>);
  store?: boolean;
  /** The method number to declare for data stored as is: LZMA's 14, bzip2's 12, as a reader meets them. */
  method?: number;
}

interface Written {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

const UTF8_FLAG = 0x800;

async function deflate(
  chunks: Iterable<Buffer>,
): Promise<{ out: Buffer; crc: number; size: number }> {
  const z = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((resolve, reject) => z.on('end', resolve).on('error', reject));
  let crc = 0;
  let size = 0;
  for (const chunk of chunks) {
    crc = crc32(chunk, crc);
    size += chunk.length;
    if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await ended;
  return { out: Buffer.concat(parts), crc, size };
}

function localHeader(w: Written): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(w.flags, 6);
  h.writeUInt16LE(w.method, 8);
  h.writeUInt32LE(0x00210000, 10); // a fixed DOS time: reproducible output
  h.writeUInt32LE(w.crc >>> 0, 14);
  h.writeUInt32LE(w.compressed, 18);
  h.writeUInt32LE(w.size, 22);
  h.writeUInt16LE(w.name.length, 26);
  return Buffer.concat([h, w.name]);
}

function centralHeader(w: Written): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(w.flags, 8);
  h.writeUInt16LE(w.method, 10);
  h.writeUInt32LE(0x00210000, 12);
  h.writeUInt32LE(w.crc >>> 0, 16);
  h.writeUInt32LE(w.compressed, 20);
  h.writeUInt32LE(w.size, 24);
  h.writeUInt16LE(w.name.length, 28);
  h.writeUInt32LE(w.offset, 42);
  return Buffer.concat([h, w.name]);
}

export async function makeZip(sources: ZipSource[]): Promise<Buffer> {
  const body: Buffer[] = [];
  const written: Written[] = [];
  let offset = 0;
  for (const s of sources) {
    const name = typeof s.name === 'string' ? Buffer.from(s.name, 'utf8') : s.name;
    const flags = typeof s.name === 'string' ? UTF8_FLAG : 0;
    const chunks = Buffer.isBuffer(s.data) ? [s.data] : s.data();
    let payload: Buffer;
    let crc: number;
    let size: number;
    if (s.store) {
      payload = Buffer.concat([...chunks]);
      crc = crc32(payload);
      size = payload.length;
    } else {
      ({ out: payload, crc, size } = await deflate(chunks));
    }
    const w: Written = {
      name,
      flags,
      method: s.method ?? (s.store ? 0 : 8),
      crc,
      compressed: payload.length,
      size,
      offset,
    };
    const head = localHeader(w);
    body.push(head, payload);
    written.push(w);
    offset += head.length + payload.length;
  }
  const central = Buffer.concat(written.map(centralHeader));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...body, central, end]);
}

/** `total` bytes of `unit` repeated, in 1 MB chunks. */
export function* repeated(unit: Buffer, total: number): Iterable<Buffer> {
  const per = Math.max(1, Math.floor((1024 * 1024) / unit.length));
  const chunk = Buffer.concat(Array.from({ length: per }, () => unit));
  let left = total;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    yield n === chunk.length ? chunk : chunk.subarray(0, n);
    left -= n;
  }
}
