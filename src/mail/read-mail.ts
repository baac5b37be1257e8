// mailparser's MailParser driven as its simpleParser drives it, with one difference: each
// attachment's decoded pieces are freed the moment they are joined into its content. The pieces
// (~48 KB each) arrive over the whole attachment, live through several young collections and so
// reach V8's old generation, where simpleParser leaves them until the thread's next full
// collection: about each attachment's size again in dead memory (see buffers.ts).
// Only the fields parse.ts reads are filled in.
import type { Readable } from 'node:stream';
import {
  type AddressObject,
  type Attachment,
  type AttachmentStream,
  type HeaderLines,
  MailParser,
  type MailParserOptions,
  type MessageText,
} from 'mailparser';
import { release } from '../buffers.js';

/** Transfer encodings whose decoder makes new buffers (libbase64, libqp). */
const DECODED = new Set(['base64', 'quoted-printable']);

export interface LibraryMail {
  headerLines: HeaderLines;
  subject?: string;
  from?: AddressObject;
  replyTo?: AddressObject;
  to?: AddressObject | AddressObject[];
  text?: string;
  attachments: Attachment[];
}

export function readMail(input: Readable, options: MailParserOptions): Promise<LibraryMail> {
  return new Promise((resolve, reject) => {
    const mail: LibraryMail = { headerLines: [], attachments: [] };
    const parser = new MailParser(options);
    // MailParser may emit a non-fatal 'error' and still reach 'end': the first outcome wins.
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    parser.on('error', fail);
    parser.on('headers', (headers) => {
      mail.headerLines = parser.headerLines || [];
      mail.subject = headers.get('subject') as string | undefined;
      mail.from = headers.get('from') as AddressObject | undefined;
      mail.replyTo = headers.get('reply-to') as AddressObject | undefined;
      mail.to = headers.get('to') as AddressObject | AddressObject[] | undefined;
    });

    let reading = false;
    const read = () => {
      reading = true;
      for (;;) {
        const data = parser.read() as MessageText | AttachmentStream | null;
        if (data === null) {
          reading = false;
          return;
        }
        if (data.type === 'text') {
          mail.text = data.text;
          continue;
        }
        collect(data, () => read());
        return; // the parser waits for the attachment's release()
      }
    };
    const collect = (part: AttachmentStream, next: () => void) => {
      const pieces: Buffer[] = [];
      let bytes = 0;
      part.content.on('readable', () => {
        for (let piece = part.content.read(); piece !== null; piece = part.content.read()) {
          pieces.push(piece);
          bytes += piece.length;
        }
      });
      part.content.on('end', () => {
        const content = Buffer.concat(pieces, bytes);
        // Decoded pieces are the decoder's own; undecoded ones (8bit, binary) may be the input's.
        if (DECODED.has(String(part.headers.get('content-transfer-encoding') ?? '').toLowerCase()))
          for (const piece of pieces) release(piece);
        part.release?.();
        mail.attachments.push(Object.assign(part, { content }) as unknown as Attachment);
        next();
      });
    };
    parser.on('readable', () => {
      if (!reading) read();
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(mail);
    });
    input.once('error', (err) => {
      input.destroy();
      parser.destroy();
      fail(err);
    });
    input.pipe(parser);
  });
}
