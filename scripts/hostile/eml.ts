// Hand-written RFC 5322 messages for the hostile corpus. Not nodemailer: hostile names (control
// characters, `../`) and broken structure must reach the parser exactly as written, and the
// output must be byte-for-byte reproducible (fixed Date, Message-ID and boundaries).

export interface Part {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface Envelope {
  /** Distinct per case, so the pipeline files each message as its own case. */
  org: string;
  title: string;
  id: string;
}

const b64 = (buf: Buffer) => (buf.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
const word = (s: string) => `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
// RFC 2231 percent-encoding carries every byte, control characters included.
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

export function headers(env: Envelope, contentType: string): string {
  return [
    'Received: from mail.applicant.example by mx.contest.example; Wed, 15 Oct 2025 02:00:00 +0000',
    `From: ${word('申报联系人')} <${env.id}@applicant.example>`,
    'To: contest@example.org',
    `Subject: ${word(`${env.org}+${env.title}`)}`,
    'Date: Wed, 15 Oct 2025 10:00:00 +0800',
    `Message-ID: <hostile-${env.id}@applicant.example>`,
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
  ].join('\r\n');
}

export function attachmentPart(p: Part): string {
  return [
    `Content-Type: ${p.contentType}; name="${word(p.filename)}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename*=UTF-8''${pct(p.filename)}`,
    '',
    b64(p.content),
  ].join('\r\n');
}

export const textPart = (text: string) =>
  [
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64(Buffer.from(text)),
  ].join('\r\n');

/** A plain multipart/mixed submission: a short body and the given attachments. */
export function message(env: Envelope, parts: Part[]): Buffer {
  const boundary = `----=_hostile_${env.id}`;
  const body = [textPart('您好，附件为我单位的申报材料，请查收。'), ...parts.map(attachmentPart)]
    .map((p) => `--${boundary}\r\n${p}\r\n`)
    .join('');
  return Buffer.from(
    `${headers(env, `multipart/mixed; boundary="${boundary}"`)}\r\n\r\n${body}--${boundary}--\r\n`,
  );
}

/** `depth` multiparts, each the only child of the one above; the files sit at the bottom. */
export function nestedMessage(env: Envelope, depth: number, parts: Part[]): Buffer {
  const files = [textPart('您好，附件为申报材料。'), ...parts.map(attachmentPart)];
  let inner = `${files.map((p) => `--b${depth}\r\n${p}\r\n`).join('')}--b${depth}--\r\n`;
  for (let level = depth - 1; level >= 1; level--) {
    inner = `--b${level}\r\nContent-Type: multipart/mixed; boundary="b${level + 1}"\r\n\r\n${inner}--b${level}--\r\n`;
  }
  return Buffer.from(`${headers(env, 'multipart/mixed; boundary="b1"')}\r\n\r\n${inner}`);
}

/**
 * Broken boundaries, three ways in one message: the declared boundary differs from the one the
 * parts use for the first half, a part's base64 is cut off, and the closing delimiter is missing.
 */
export function brokenBoundaryMessage(env: Envelope, parts: Part[]): Buffer {
  const [first, ...rest] = parts.map(attachmentPart);
  const cut = (rest[0] ?? '').slice(0, Math.floor((rest[0] ?? '').length / 2));
  const body = [
    '--wrong-boundary',
    textPart('您好，附件为申报材料。'),
    '--declared',
    first,
    '--declared',
    cut,
    '--declared',
    ...rest.slice(1),
    '', // no closing --declared--
  ].join('\r\n');
  return Buffer.from(`${headers(env, 'multipart/mixed; boundary="declared"')}\r\n\r\n${body}`);
}
