// The hostile corpus for tests: the committed cases from fixtures/hostile/, the large ones built
// into a temp folder (scripts/make-hostile.ts), and what the service must say about each.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CASES } from '../../scripts/hostile/cases.js';
import { HOSTILE_DIR, writeLarge } from '../../scripts/make-hostile.js';
import type { RuleCode } from '../../src/types.js';

export interface Expectation {
  rule: RuleCode;
  /** The file the failed finding must name; null for a message-level finding. */
  file: string | null;
  says: RegExp;
  /** A finding that passes (a file found in spite of the hostile structure). */
  passed?: boolean;
}

export const EXPECTED: Record<string, Expectation> = {
  'zip-bomb-flat.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '申报材料.zip',
    says: /解压后超过大小上限.*未予解压/,
  },
  'zip-bomb-nested.eml': {
    rule: 'ATTACHMENT_SUSPICIOUS',
    file: '申报材料.zip',
    says: /嵌套超过 3 层.*未予解压/,
  },
  'image-bomb-png.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '盖章扫描件.png',
    says: /像素过多（30000×30000）/,
  },
  'image-bomb-jpeg.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '商标.jpg',
    says: /像素过多（30000×30000）/,
  },
  'attachment-50mb.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '案例报告.pdf',
    says: /超过 50 MB，未予读取/,
  },
  'attachments-1000.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: null,
    says: /邮件结构无法解析.*附件未能读取/,
  },
  'mime-nested-100.eml': {
    rule: 'FORM_MISSING',
    file: '申报表.docx',
    says: /已找到申报表/,
    passed: true,
  },
  'broken-boundaries.eml': { rule: 'ATTACHMENT_UNREADABLE', file: '商标.jpg', says: /不完整/ },
  'pdf-loop.eml': { rule: 'ATTACHMENT_UNREADABLE', file: '案例报告.pdf', says: /无法打开/ },
  'pdf-million-pages.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '案例报告.pdf',
    says: /共 1,000,000 页，超过 500 页/,
  },
  'docx-huge-xml.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '案例报告.docx',
    says: /document\.xml 解压后超过 16 MB/,
  },
  'dangerous-names.eml': {
    rule: 'ATTACHMENT_SUSPICIOUS',
    file: '申报材料.zip',
    says: /文件路径不安全.*已跳过/,
  },
  'encrypted-docx.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '申报表.docx',
    says: /设置了打开密码/,
  },
  'encrypted-doc.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '申报表.doc',
    says: /设置了打开密码/,
  },
  'encrypted-pdf.eml': {
    rule: 'ATTACHMENT_UNREADABLE',
    file: '盖章扫描件.pdf',
    says: /设置了密码/,
  },
  'docm.eml': { rule: 'ATTACHMENT_SUSPICIOUS', file: '申报表.docm', says: /含宏/ },
  'exe-as-jpg.eml': { rule: 'ATTACHMENT_SUSPICIOUS', file: '商标.jpg', says: /可执行程序/ },
};

export interface HostileFiles {
  /** Every case's .eml path, committed ones first. */
  files: string[];
  dispose(): Promise<void>;
}

/** Builds the large cases into a fresh temp folder (about ten seconds) beside the committed ones. */
export async function hostileFiles(): Promise<HostileFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-hostile-'));
  const large = await writeLarge(dir);
  const committed = CASES.filter((c) => !c.large).map((c) => path.join(HOSTILE_DIR, c.file));
  return {
    files: [...committed, ...large],
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
