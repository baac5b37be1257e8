// Characters that could forge or hide text where a file's name is shown: C0 and C1 controls, and
// the bidi marks and overrides that make `报告\u202Efdp.exe` read as `报告exe.pdf`. Every name
// taken from a message (an attachment's, an archive entry's) and every name the dashboard hands
// back loses them here.

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `name` without control or bidi characters. */
export function showable(name: string): string {
  return name.replace(UNSHOWABLE, '');
}
