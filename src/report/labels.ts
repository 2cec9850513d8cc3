// The few words a report prints itself (cover, footer, bookmarks) and its
// dates, in the job's language and time zone. Pure.

interface Words {
  contents: string;
  contentsContinued: string;
  cover: string;
  /** "Page 3" for a story without a title. */
  page: (n: number) => string;
}

const WORDS: Record<string, Words> = {
  en: { contents: 'Contents', contentsContinued: 'Contents (continued)', cover: 'Cover', page: (n) => `Page ${n}` },
  fr: { contents: 'Sommaire', contentsContinued: 'Sommaire (suite)', cover: 'Couverture', page: (n) => `Page ${n}` },
  de: { contents: 'Inhalt', contentsContinued: 'Inhalt (Fortsetzung)', cover: 'Deckblatt', page: (n) => `Seite ${n}` },
  es: { contents: 'Índice', contentsContinued: 'Índice (continuación)', cover: 'Portada', page: (n) => `Página ${n}` },
};

/** English unless the language (its primary subtag) is one we have words for. */
export function wordsFor(lang: string | undefined): Words {
  const primary = (lang ?? 'en').toLowerCase().split('-')[0] ?? 'en';
  return WORDS[primary] ?? (WORDS.en as Words);
}

/** A locale Intl accepts; en-GB for none or an unknown one (day before month, 24-hour clock: readable everywhere). */
function locale(lang: string | undefined): string {
  if (!lang) return 'en-GB';
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([lang])[0] ?? 'en-GB';
  } catch {
    return 'en-GB';
  }
}

function zone(timezone: string | undefined): string {
  if (!timezone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}

/** The cover's line: "Monday 23 November 2026, 08:00 (Europe/Paris)". */
export function formatGeneratedAt(at: Date, timezone: string | undefined, lang: string | undefined): string {
  const tz = zone(timezone);
  const when = new Intl.DateTimeFormat(locale(lang), { dateStyle: 'full', timeStyle: 'short', timeZone: tz }).format(at);
  return `${when} (${tz})`;
}

/** The footer's short date: "23 Nov 2026". */
export function formatShortDate(at: Date, timezone: string | undefined, lang: string | undefined): string {
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeZone: zone(timezone) }).format(at);
}
