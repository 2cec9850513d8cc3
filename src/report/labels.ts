// Every word a report prints itself (cover, contents, footer, bookmarks, a
// chart's alternative text) and its dates, in the job's language and time
// zone. The words come from the message catalogues (src/i18n/catalogues/),
// like every other word a reader sees; the report's code asks here, never
// writes a word of its own. Pure.
import { altText, type PicturedStory } from '../i18n/alt-text.js';
import { readerLanguage } from '../i18n/language.js';
import { translator } from '../i18n/translate.js';

export type { ChartKind, PicturedStory } from '../i18n/alt-text.js';

export interface Words {
  /** The language tag the words are in (en-GB for a language courier has no catalogue for): the document's /Lang. */
  lang: string;
  contents: string;
  contentsContinued: string;
  /** The header of a story's second and later pages: "Home (continued)". */
  storyContinued: (title: string) => string;
  cover: string;
  /** "Page 3" for a story without a title. */
  page: (n: number) => string;
  /** The footer's page number: "3 / 12". */
  pageNumber: (n: number, total: number) => string;
  /** A chart's alternative text: the page's description, or "Bar chart: Sales by region". */
  chartAlt: (story: PicturedStory) => string;
}

/** The report's words in the job's language; English when courier has no catalogue for it. */
export function wordsFor(lang: string | undefined): Words {
  const { t, tag } = translator(lang);
  return {
    lang: tag,
    contents: t('report.contents'),
    contentsContinued: t('report.contentsContinued'),
    storyContinued: (title) => t('report.storyContinued', { title }),
    cover: t('report.cover'),
    page: (n) => t('page.untitled', { number: n }),
    pageNumber: (n, total) => t('report.pageNumber', { number: n, total }),
    chartAlt: (story) => altText(t, story),
  };
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

/** The cover's line: "Monday 23 November 2026, 08:00 (Europe/Paris)", in the words' language. */
export function formatGeneratedAt(at: Date, timezone: string | undefined, lang: string | undefined): string {
  const tz = zone(timezone);
  const when = new Intl.DateTimeFormat(readerLanguage(lang).tag, { dateStyle: 'full', timeStyle: 'short', timeZone: tz }).format(at);
  return `${when} (${tz})`;
}

/** The footer's short date: "23 Nov 2026". */
export function formatShortDate(at: Date, timezone: string | undefined, lang: string | undefined): string {
  return new Intl.DateTimeFormat(readerLanguage(lang).tag, { dateStyle: 'medium', timeZone: zone(timezone) }).format(at);
}
