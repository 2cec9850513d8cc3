// Dates, numbers and sizes in the reader's notation (Intl, from a tag that
// readerLanguage() has checked), in the job's time zone. Pure.
import type { Translator } from './translate.js';

/** "20 nov. 2026, 10:30 UTC+1": when something happened. */
export function formatTime(at: Date, timezone = 'UTC', tag = 'en-GB'): string {
  // Explicit fields: Intl refuses timeZoneName together with dateStyle/timeStyle.
  return new Intl.DateTimeFormat(tag, { timeZone: timezone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(at);
}

/** "20 nov. 2026": the day alone (report subjects). */
export function formatDate(at: Date, timezone = 'UTC', tag = 'en-GB'): string {
  return new Intl.DateTimeFormat(tag, { timeZone: timezone, dateStyle: 'medium' }).format(at);
}

/** "1 234,5" in French, "1,234.5" in English. */
export function formatNumber(value: number, tag = 'en-GB'): string {
  return new Intl.NumberFormat(tag, { maximumFractionDigits: 6 }).format(value);
}

/** "1,5 Mo" in French, "1.5 MB" in English: CLDR's own unit abbreviations. */
export function formatBytes(bytes: number, tag = 'en-GB'): string {
  const unit = (name: string, value: number, digits: number) =>
    new Intl.NumberFormat(tag, { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: digits }).format(value);
  if (bytes < 1024) return unit('byte', bytes, 0);
  if (bytes < 1024 * 1024) return unit('kilobyte', Math.round(bytes / 1024), 0);
  return unit('megabyte', bytes / (1024 * 1024), 1);
}

/** How long a signed link lives: whole days when it is whole days, else hours, else minutes. */
export function formatDuration(seconds: number, t: Translator['t']): string {
  const days = seconds / 86400;
  if (days >= 1 && Number.isInteger(days)) return t('duration.days', { count: days });
  const hours = Math.round(seconds / 3600);
  if (hours >= 1) return t('duration.hours', { count: hours });
  return t('duration.minutes', { count: Math.max(1, Math.round(seconds / 60)) });
}
