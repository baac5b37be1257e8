// Times are shown in the campaign's own zone (the call says 北京时间 without saying so), never
// in the server's: `2025-10-18T09:12:00+08:00`.

function offsetMinutes(utcOffset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

/** ISO 8601 with the given offset, seconds precision: `2025-10-18T09:12:00+08:00`. */
export function isoWithOffset(date: Date, utcOffset: string): string {
  const shifted = new Date(date.getTime() + offsetMinutes(utcOffset) * 60_000);
  return `${shifted.toISOString().slice(0, 19)}${utcOffset}`;
}

/** `2025-10-18 09:12` in the given offset, for messages. */
export function localTime(date: Date, utcOffset: string): string {
  return isoWithOffset(date, utcOffset).slice(0, 16).replace('T', ' ');
}
