// A password-protected .docx as Word writes it: not a zip but an OLE compound file ([MS-CFB])
// holding an `EncryptionInfo` stream (agile encryption, [MS-OFFCRYPTO] 2.3.4.10) and the
// `EncryptedPackage`. LibreOffice 7.4 on this machine ignores a password when saving OOXML, so
// the container is written here; the "ciphertext" is seeded noise no password opens.
import { createHash } from 'node:crypto';

const SECTOR = 512;
const END_OF_CHAIN = 0xfffffffe;
const FAT_SECT = 0xfffffffd;
const NO_STREAM = 0xffffffff;

function noise(bytes: number, seed: string): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < bytes; i++)
    out.push(createHash('sha256').update(`${seed}${i}`).digest());
  return Buffer.concat(out).subarray(0, bytes);
}

function dirEntry(
  name: string,
  type: number,
  start: number,
  size: number,
  links: { right?: number; child?: number },
): Buffer {
  const e = Buffer.alloc(128);
  const n = Buffer.from(`${name}\0`, 'utf16le');
  n.copy(e, 0);
  e.writeUInt16LE(n.length, 64);
  e[66] = type;
  e[67] = 1; // black
  e.writeUInt32LE(NO_STREAM, 68);
  e.writeUInt32LE(links.right ?? NO_STREAM, 72);
  e.writeUInt32LE(links.child ?? NO_STREAM, 76);
  e.writeUInt32LE(start, 116);
  e.writeUInt32LE(size, 120);
  return e;
}

export function encryptedDocx(): Buffer {
  // Streams of at least 4096 bytes live in regular sectors (no mini stream to write).
  const xml =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></encryption>';
  const info = Buffer.concat([
    Buffer.from([4, 0, 4, 0, 0x40, 0, 0, 0]),
    Buffer.from(xml.padEnd(4096 - 8, ' ')),
  ]);
  const packageSize = 8192;
  const pkg = Buffer.concat([Buffer.alloc(8), noise(packageSize, 'encrypted-docx')]);
  pkg.writeUInt32LE(5000, 0); // the plaintext zip's size, as the real header carries it
  const pad = (b: Buffer) =>
    Buffer.concat([b, Buffer.alloc((SECTOR - (b.length % SECTOR)) % SECTOR)]);
  const infoSectors = pad(info).length / SECTOR;
  const pkgSectors = pad(pkg).length / SECTOR;
  // Sector 0: FAT; sector 1: directory; then the two streams.
  const fat = Buffer.alloc(SECTOR, 0xff);
  fat.writeUInt32LE(FAT_SECT, 0);
  fat.writeUInt32LE(END_OF_CHAIN, 4);
  let s = 2;
  for (const count of [infoSectors, pkgSectors]) {
    for (let i = 0; i < count; i++, s++)
      fat.writeUInt32LE(i === count - 1 ? END_OF_CHAIN : s + 1, s * 4);
  }
  // Siblings sort by name length, then name: EncryptionInfo (14) before EncryptedPackage (16).
  const dir = Buffer.concat([
    dirEntry('Root Entry', 5, END_OF_CHAIN, 0, { child: 1 }),
    dirEntry('EncryptionInfo', 2, 2, info.length, { right: 2 }),
    dirEntry('EncryptedPackage', 2, 2 + infoSectors, pkg.length, {}),
    Buffer.alloc(128),
  ]);
  dir.writeUInt32LE(NO_STREAM, 3 * 128 + 68);
  dir.writeUInt32LE(NO_STREAM, 3 * 128 + 72);
  dir.writeUInt32LE(NO_STREAM, 3 * 128 + 76);
  const header = Buffer.alloc(SECTOR, 0);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x3e, 24);
  header.writeUInt16LE(3, 26);
  header.writeUInt16LE(0xfffe, 28);
  header.writeUInt16LE(9, 30);
  header.writeUInt16LE(6, 32);
  header.writeUInt32LE(1, 44); // FAT sectors
  header.writeUInt32LE(1, 48); // first directory sector
  header.writeUInt32LE(4096, 56);
  header.writeUInt32LE(END_OF_CHAIN, 60);
  header.writeUInt32LE(END_OF_CHAIN, 68);
  header.fill(0xff, 76);
  header.writeUInt32LE(0, 76); // DIFAT[0] = sector 0
  return Buffer.concat([header, fat, dir, pad(info), pad(pkg)]);
}
