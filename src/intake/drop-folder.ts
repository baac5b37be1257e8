// With no IMAP configured, .eml files put into DATA_DIR/inbox/ are ingested like mail that
// arrived, then moved to inbox/.done/ (never deleted). A file still being written is left
// until it has content and its size and mtime hold still between two scans. Names need not be
// UTF-8 (`listFolder`). A file that fails to go in (a full disk, a database down, a file too
// large to store) is tried again after twice the wait of the time before, up to 10 minutes, and
// at once when it changes.
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { Ingest } from './ingest.js';
import { type FilePath, fromPath, listFolder } from './sources.js';

const MAX_RETRY_MS = 10 * 60_000;

export function createDropFolder(deps: {
  dir: string;
  ingest: Ingest;
  log: Logger;
  intervalMs?: number;
}) {
  const { dir, ingest, log } = deps;
  const done = path.join(dir, '.done');
  const intervalMs = deps.intervalMs ?? 2_000;
  // file (bytes as latin1) → its "size:mtime" at the last scan, and its failed tries since then
  const seen = new Map<string, { mark: string; attempts: number; retryAt: number }>();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<number> | undefined;

  async function ingestFile(file: FilePath, name: string) {
    for await (const m of fromPath(file)) {
      await ingest({
        raw: m.raw,
        source: 'drop',
        mailbox: 'drop-folder',
        receivedAt: m.receivedAt,
        receivedAtSource: m.receivedAtSource,
        originalName: path.basename(m.name),
      });
    }
    // A name that was not UTF-8 is UTF-8 in .done/.
    await rename(file, await freeName(done, name));
  }

  async function scanOnce(): Promise<number> {
    let count = 0;
    const listed = new Set<string>();
    for (const { name, path: file } of await listFolder(dir)) {
      if (!/\.eml$/i.test(name)) continue;
      const s = await stat(file).catch(() => null);
      if (!s?.isFile() || s.size === 0) continue; // empty: created, not written yet
      // Not its mtime's age: a copy that keeps the original's mtime (rsync --inplace, some SMB
      // clients) looks old while it is still being written.
      const mark = `${s.size}:${s.mtimeMs}`;
      const key = Buffer.from(file).toString('latin1');
      listed.add(key);
      const known = seen.get(key);
      if (known?.mark !== mark) {
        // New or changed: left to settle, its failed tries forgotten.
        seen.set(key, { mark, attempts: 0, retryAt: 0 });
        continue;
      }
      if (Date.now() < known.retryAt) continue;
      try {
        await ingestFile(file, name);
        seen.delete(key);
        count++;
      } catch (err) {
        // Left in place, to be tried again (disk full, database busy…).
        known.attempts++;
        const retryInMs = Math.min(MAX_RETRY_MS, intervalMs * 2 ** known.attempts);
        known.retryAt = Date.now() + retryInMs;
        log.warn(
          { err, file: name, attempts: known.attempts, retryInMs },
          'drop-folder file not ingested yet',
        );
      }
    }
    // Files taken away by hand.
    for (const key of seen.keys()) if (!listed.has(key)) seen.delete(key);
    return count;
  }

  const scan = () => {
    scanning ??= scanOnce().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };

  return {
    scan,
    async start() {
      await mkdir(done, { recursive: true });
      log.info({ dir }, 'watching the drop folder for .eml files');
      await scan();
      timer = setInterval(() => {
        scan().catch((err) => log.warn({ err }, 'drop-folder scan failed'));
      }, intervalMs);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await scanning?.catch(() => undefined);
    },
  };
}

async function freeName(dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const base = name.slice(0, name.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = path.join(dir, i === 0 ? name : `${base}.${i}${ext}`);
    if (!(await stat(candidate).catch(() => null))) return candidate;
  }
}
