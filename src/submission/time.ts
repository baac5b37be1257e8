// Times are shown in the campaign's own zone (the call says 北京时间 without saying so), never
// in the server's: `2025-10-18T09:12:00+08:00`.
import type { ReceivedAtSource } from '../store/schema.js';

/**
 * Why a receive time is only an estimate, or null when a receiving server recorded it (IMAP's
 * INTERNALDATE, the newest Received header). LATE does not reject on an estimate.
 */
export function receivedAtDoubt(source: ReceivedAtSource): string | null {
  if (source === 'mtime') return '该邮件没有 Received 头，收件时间取自文件的修改时间';
  if (source === 'date-header') return '该邮件没有 Received 头，收件时间取自发件人填写的 Date 头';
  if (source === 'fetched')
    return '邮件服务器未给出可用的收件时间（INTERNALDATE），收件时间按下载时间计算';
  if (source === 'now') return '该邮件没有 Received 和 Date 头，收件时间按检查时间计算';
  return null;
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
