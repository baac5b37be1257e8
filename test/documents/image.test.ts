import { describe, expect, it } from 'vitest';
import { detectRedSeal, readImage } from '../../src/documents/image.js';
import { fixture, profile } from './helpers.js';

const maxPixels = profile.limits.image.maxPixels;

describe('readImage', () => {
  it('reads format and size of a JPEG from its header', async () => {
    expect(await readImage(fixture('logo.jpg'), maxPixels)).toEqual({
      format: 'jpeg',
      width: 600,
      height: 600,
      redSeal: null,
    });
  });

  it('reports the real format of a PNG named .jpg', async () => {
    expect(await readImage(fixture('png-named.jpg'), maxPixels)).toMatchObject({ format: 'png' });
  });

  it('finds a truncated JPEG only when asked to decode it', async () => {
    expect(await readImage(fixture('truncated.jpg'), maxPixels)).toMatchObject({ format: 'jpeg' });
    expect(
      await readImage(fixture('truncated.jpg'), maxPixels, { checkTruncated: true }),
    ).toMatchObject({
      kind: 'unreadable',
      message: expect.stringContaining('不完整'),
    });
    expect(await readImage(fixture('logo.jpg'), maxPixels, { checkTruncated: true })).toMatchObject(
      { width: 600 },
    );
  });

  it('refuses an image above the pixel cap without decoding it', async () => {
    expect(await readImage(fixture('logo.jpg'), 1000)).toMatchObject({
      kind: 'too_large',
      message: expect.stringContaining('600×600'),
    });
  });

  it('turns bytes that are no image into a problem', async () => {
    expect(await readImage(Buffer.from('not an image'), maxPixels)).toMatchObject({
      kind: 'unreadable',
    });
  });
});

describe('detectRedSeal', () => {
  it('sees the red seal on a stamped scan', async () => {
    expect(await detectRedSeal(fixture('seal-scan.jpg'))).toBe(true);
  });

  it('sees none on a blue picture', async () => {
    expect(await detectRedSeal(fixture('png-named.jpg'))).toBe(false);
  });

  it('answers false for bytes that are no image', async () => {
    expect(await detectRedSeal(Buffer.from('nope'))).toBe(false);
  });
});
