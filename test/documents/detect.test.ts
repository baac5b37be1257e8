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
    for (const name of ['form.doc', 'form.docx', 'encrypted.pdf']) {
      expect(encryptedWord97(fixture(name)), name).toBe(false);
    }
  });

  // A copy of the encrypted fixture, and where its WordDocument directory entry starts.
  const encrypted = () => {
    const doc = Buffer.from(fixture('encrypted.doc'));
    const name = Buffer.from('WordDocument', 'utf16le');
    let entry = doc.indexOf(name);
    while (entry % 128 !== 0) entry = doc.indexOf(name, entry + 1);
    return { doc, entry };
  };
  const changed = (change: (doc: Buffer, entry: number) => void) => {
    const { doc, entry } = encrypted();
    change(doc, entry);
    return doc;
  };

  it('answers false, without throwing, where the entry or the FIB is not what it should be', () => {
    const { doc: whole, entry: at } = encrypted();
    const cases = {
      'first sector past the end': changed((d, e) => {
        d.writeUInt32LE(0xfffffff0, e + 0x74);
      }),
      'cut inside the entry': whole.subarray(0, at + 0x7b),
      'a stream in the mini stream': changed((d, e) => {
        d.writeUInt32LE(4095, e + 0x78);
      }),
      'the sector size wrong': changed((d) => {
        d.writeUInt16LE(12, 0x1e);
      }),
      'a longer name (WordDocumentX)': changed((d, e) => {
        d.writeUInt16LE(28, e + 0x40);
      }),
      'not a stream': changed((d, e) => {
        d[e + 0x42] = 1;
      }),
    };
    for (const [what, doc] of Object.entries(cases)) expect(encryptedWord97(doc), what).toBe(false);
  });

  it('finds the FIB in a file of 4096-byte sectors', () => {
    // Header (sector shift 12, mini stream cutoff 4096), the directory in sector 0, the
    // WordDocument stream from sector 1: its FIB at (1 + 1) × 4096.
    const file = Buffer.alloc(4 * 4096);
    Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(file);
    file.writeUInt16LE(12, 0x1e);
    file.writeUInt32LE(4096, 0x38);
    const entry = 4096;
    Buffer.from('WordDocument', 'utf16le').copy(file, entry);
    file.writeUInt16LE(26, entry + 0x40);
    file[entry + 0x42] = 2;
    file.writeUInt32LE(1, entry + 0x74);
    file.writeUInt32LE(8192, entry + 0x78);
    file.writeUInt16LE(0xa5ec, 2 * 4096);
    file.writeUInt16LE(0x0100, 2 * 4096 + 0x0a);
    expect(encryptedWord97(file)).toBe(true);
    file.writeUInt16LE(0, 2 * 4096 + 0x0a);
    expect(encryptedWord97(file)).toBe(false);
  });
});
