// Which language a reader gets, from a BCP 47 tag (the job's `lang`, or the
// delivery target's, which wins for its recipients). Pure.
//
// One message is in one language: a tag whose language has no catalogue
// (pt-BR) gets English words *and* English dates and numbers (en-GB), not an
// English sentence around a Portuguese date. A regional tag of a language we
// have (fr-CA, de-CH, en-US) keeps its region for dates and numbers.
import { LANGUAGES, type Language } from './catalogue.js';

export interface ReaderLanguage {
  /** The catalogue used. */
  language: Language;
  /** The tag for Intl (dates, numbers, plurals), `<html lang>` and Content-Language: the job's tag, or en-GB. */
  tag: string;
}

/** Day before month and a 24-hour clock: readable everywhere, and courier's default before `lang` existed. */
export const DEFAULT_TAG = 'en-GB';

function isLanguage(code: string): code is Language {
  return (LANGUAGES as readonly string[]).includes(code);
}

export function readerLanguage(lang: string | undefined): ReaderLanguage {
  if (!lang) return { language: 'en', tag: DEFAULT_TAG };
  let tag: string;
  try {
    // Canonical form (fr-fr → fr-FR), and only what Intl can format with.
    tag = Intl.getCanonicalLocales(lang)[0] ?? '';
    if (Intl.DateTimeFormat.supportedLocalesOf([tag]).length === 0) tag = '';
  } catch {
    tag = '';
  }
  const primary = tag.split('-')[0]?.toLowerCase() ?? '';
  return isLanguage(primary) ? { language: primary, tag } : { language: 'en', tag: DEFAULT_TAG };
}
