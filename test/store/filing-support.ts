// Helpers shared by the filing tests: a message arriving over IMAP, and filing input for it.
import type { Db } from '../../src/store/db.js';
import { insertMessage } from '../../src/store/messages.js';
import type { FileSubmissionInput } from '../../src/store/submissions.js';
import type { CheckResult } from '../../src/types.js';
import { fakeSha } from '../support/db.js';

let uidSeq = 0;
export async function arrive(db: Db, receivedAt: string, sha256 = fakeSha()): Promise<number> {
  uidSeq += 1;
  const { id } = await insertMessage(db, {
    source: 'imap',
    mailbox: 'INBOX',
    uidValidity: '1',
    uid: uidSeq,
    sha256,
    size: 100,
    receivedAt: new Date(receivedAt),
    receivedAtSource: 'internaldate',
  });
  return id;
}

export function input(messageRowId: number, result: CheckResult): FileSubmissionInput {
  return {
    messageRowId,
    messageIdHeader: `<msg-${messageRowId}@example.com>`,
    fromAddress: 'applicant@example.com',
    result,
    attachments: [
      {
        filename: '申报表.docx',
        detectedType: 'docx',
        role: 'form',
        bytes: 2048,
        sha256: fakeSha(),
        insideArchive: null,
      },
      {
        filename: 'logo.jpg',
        detectedType: 'jpeg',
        role: 'logo',
        bytes: 1024,
        sha256: fakeSha(),
        insideArchive: '材料.zip',
      },
    ],
    caseNumberPrefix: '2025',
  };
}

export async function count(
  db: Db,
  table: 'submissions' | 'findings' | 'attachments' | 'audit_log' | 'cases',
) {
  const row = await db.k
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
