import { describe, expect, it } from 'vitest';
import { detectType, encryptedWord97, oleStreams } from '../../src/documents/detect.js';
import { fixture } from './helpers.js';

describe('detectType', () => {
  it.each([
    ['form.docx', 'docx'],
    ['macro.docm', 'docm'],
    ['form.doc', 'doc'],
    ['form.wps', 'wps'],
    ['form-text.pdf', 'pdf'],
    ['logo.jpg', 'jpeg'],
    ['bomb.zip', 'zip'],
    ['archive.7z', '7z'],
  ])('recognises %s as %s by content, with no mismatch', async (name, type) => {
    expect(await detectType(fixture(name), name, null)).toEqual({ type, mismatch: null });
  });

  it('does not call a PNG named .jpg a disguise: same family, the logo rule judges the format', async () => {
    const d = await detectType(fixture('png-named.jpg'), '商标.jpg', 'image/jpeg');
    expect(d).toEqual({ type: 'png', mismatch: null });
  });

  it('flags an executable named .jpg as suspicious', async () => {
    const d = await detectType(fixture('exe-named.jpg'), 'photo.jpg', 'image/jpeg');
    expect(d.type).toBe('exe');
    expect(d.mismatch).toEqual({
      kind: 'suspicious',
      message: expect.stringContaining('可执行程序'),
    });
  });

  it('flags a PDF named .docx as suspicious', async () => {
    const d = await detectType(fixture('form-text.pdf'), '申报表.docx', null);
    expect(d.type).toBe('pdf');
    expect(d.mismatch).toEqual({ kind: 'suspicious', message: expect.stringContaining('PDF') });
  });

  it('calls a plain zip named .docx a broken document, not a disguise', async () => {
    const d = await detectType(fixture('submission.zip'), '申报表.docx', null);
    expect(d.type).toBe('zip');
    expect(d.mismatch).toEqual({ kind: 'unreadable', message: expect.stringContaining('.docx') });
  });

  it('accepts docx content under a .doc name (Word and WPS save it so)', async () => {
    expect(await detectType(fixture('form.docx'), '申报表.doc', 'application/msword')).toEqual({
      type: 'docx',
      mismatch: null,
    });
  });

  it('flags content that disagrees with the declared MIME type when the name says nothing', async () => {
    const d = await detectType(fixture('form-text.pdf'), 'attachment', 'image/jpeg');
    expect(d).toMatchObject({
      type: 'pdf',
      mismatch: { kind: 'suspicious', message: expect.stringContaining('image/jpeg') },
    });
  });
});

describe('oleStreams', () => {
  it('finds the WordDocument stream of a .doc and no EncryptionInfo', () => {
    const found = oleStreams(fixture('form.doc'), ['WordDocument', 'EncryptionInfo']);
    expect([...found]).toEqual(['WordDocument']);
  });
});

describe('encryptedWord97', () => {
  it('finds the open password of a Word 97 file LibreOffice saved with one', () => {
    expect(encryptedWord97(fixture('encrypted.doc'))).toBe(true);
  });

  it('finds none in the same form saved without one, nor in other files', () => {
    for (const name of ['form.doc', 'form.wps', 'form.docx', 'encrypted.pdf']) {
      expect(encryptedWord97(fixture(name)), name).toBe(false);
    }
  });

  it('answers false for a directory entry whose first sector lies past the end', () => {
    const doc = Buffer.from(fixture('encrypted.doc'));
    const entry = doc.indexOf(Buffer.from('WordDocument', 'utf16le'));
    doc.writeUInt32LE(0xfffffff0, entry + 0x74);
    expect(encryptedWord97(doc)).toBe(false);
  });
});
