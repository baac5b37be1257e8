// A reader that recognises *why* a document cannot be read throws a DocumentError carrying the
// applicant-facing problem; readDocuments turns it (and any other exception) into a value.
import type { DocumentProblem } from '../types.js';

export class DocumentError extends Error {
  readonly code = 'DocumentProblem';
  constructor(readonly problem: DocumentProblem) {
    super(problem.message);
  }
}

export function isProblem(value: unknown): value is DocumentProblem {
  return typeof value === 'object' && value !== null && 'kind' in value && 'message' in value;
}

/** A Word file saved with an open password (.docx and .doc alike). */
export function passwordProtected(): DocumentError {
  return new DocumentError({
    kind: 'encrypted',
    message: 'Word 文档设置了打开密码，无法读取，请去掉密码后重新发送',
  });
}
