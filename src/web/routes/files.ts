// Attachment downloads. The blob is found by the row's sha256, never by a name from the mail,
// so a file called `../../etc/passwd` is only a label. Downloads are always attachments with
// nosniff; only real images are shown inline (the logo on the case page), typed by detection.
// The pipeline keeps only the raw message: a file not in the blob store yet is written out from
// it on first request (with the rest of that message's files).
import type { FastifyInstance } from 'fastify';
import { showable } from '../../names.js';
import { getAttachment } from '../../store/case-detail.js';
import type { WebDeps } from '../deps.js';
import type { MessageReader } from '../evaluate.js';
import { notFound } from './cases.js';

const INLINE_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** The last path segment, without control, bidi or quote characters: a name, not a path. */
export function downloadName(filename: string): string {
  const base = filename.split(/[/\\]/).filter(Boolean).pop() ?? '';
  // They would break the header, or make the saved file's name read as another.
  const clean = showable(base).replaceAll('"', '').replace(/^\.+/, '').trim();
  return clean || 'attachment';
}

/** RFC 6266: an ASCII fallback plus the UTF-8 name (RFC 5987) that every current browser uses. */
export function contentDisposition(kind: 'attachment' | 'inline', filename: string): string {
  const name = downloadName(filename);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/[\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const attachmentId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : null);

type Attachment = NonNullable<Awaited<ReturnType<typeof getAttachment>>>;

export function fileRoutes(app: FastifyInstance, deps: WebDeps, messages: MessageReader): void {
  /** Whether the attachment's file is in the blob store, written out from its message if not. */
  async function kept(a: Attachment): Promise<boolean> {
    if (await deps.blobs.has(a.sha256)) return true;
    const message = { sha256: a.message_sha256, receivedAt: new Date(a.message_received_at) };
    try {
      await messages.keepFiles(message);
    } catch (err) {
      // The message itself gone is a missing file; anything else (a full disk) is an error.
      if ((err as { code?: unknown }).code !== 'BlobNotFound') throw err;
    }
    return deps.blobs.has(a.sha256);
  }

  app.get<{ Params: { id: string } }>('/files/:id', async (req, reply) => {
    const id = attachmentId(req.params.id);
    const a = id === null ? undefined : await getAttachment(deps.db, id);
    if (!a || !(await kept(a))) return notFound(reply);
    return reply
      .header('Content-Type', 'application/octet-stream')
      .header('Content-Disposition', contentDisposition('attachment', a.filename))
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Length', String(a.bytes))
      .send(deps.blobs.stream(a.sha256));
  });

  app.get<{ Params: { id: string } }>('/files/:id/view', async (req, reply) => {
    const id = attachmentId(req.params.id);
    const a = id === null ? undefined : await getAttachment(deps.db, id);
    const type = a ? INLINE_TYPES[a.detected_type] : undefined;
    if (!a || !type || !(await kept(a))) return notFound(reply);
    return reply
      .header('Content-Type', type)
      .header('Content-Disposition', contentDisposition('inline', a.filename))
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; sandbox")
      .header('Cache-Control', 'private, max-age=3600')
      .send(deps.blobs.stream(a.sha256));
  });
}
