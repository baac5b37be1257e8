// Times are shown in the campaign's own zone (the call says 北京时间 without saying so), never
// in the server's: `2025-10-18T09:12:00+08:00`.
import type { ReceivedAtSource } from '../store/schema.js';

/**
 * Why a receive time is only an estimate, or null when a receiving server recorded it (IMAP's
 * INTERNALDATE, the newest Received header). LATE does not reject on an estimate.
 */
export function receivedAtDoubt(source: ReceivedAtSource): string | null {
  if (source === 'mtime') return '该邮件没有可用的 Received 头，收件时间取自文件的修改时间';
  if (source === 'date-header')
    return '该邮件没有可用的 Received 头，收件时间取自发件人填写的 Date 头';
  if (source === 'fetched')
    return '邮件服务器未给出可用的收件时间（INTERNALDATE），收件时间按下载时间计算';
  if (source === 'now') return '该邮件没有可用的 Received 和 Date 头，收件时间按检查时间计算';
  return null;
}

/** No campaign's mail was received before this: an earlier stamp is a clock's error. */
const EARLIEST = Date.UTC(2000, 0, 1);

/**
 * A server's record of a receive time (IMAP's INTERNALDATE, a Received header's date) as a time
 * the deadline may rest on, or null. imapflow turns NIL into 1970-01-01 and garbage into an
 * invalid date, a server may keep a file's zeroed mtime, and a broken clock may stamp year 10000:
 * none of these says when the message came, and a 1970 time would pass LATE as certain.
 */
export function usableDate(value: unknown, now: Date): Date | null {
  const date =
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  const t = date?.getTime() ?? Number.NaN;
  if (!Number.isFinite(t) || t < EARLIEST || t > now.getTime() + 24 * 3_600_000) return null;
  return date ?? null;
}

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
