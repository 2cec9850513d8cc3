// Messages in the reader's language through ICU MessageFormat (FormatJS
// intl-messageformat): placeholders, plurals and selects are the
// catalogue's, never string concatenation here. A message missing from the
// reader's catalogue falls back to the English one, message by message, and
// is then formatted as English (its plural rules and numbers), so a sentence
// never mixes two languages' grammar.
import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';
import { CATALOGUES, ENGLISH, type Language, type MessageKey } from './catalogue.js';
import { DEFAULT_TAG, readerLanguage, type ReaderLanguage } from './language.js';

export type MessageValues = Record<string, PrimitiveType>;

export interface Translator extends ReaderLanguage {
  /** The message `key` with its placeholders filled (a function value: it is passed around alone). */
  t: (key: MessageKey, values?: MessageValues) => string;
}

/** Compiled messages, by language tag and key: a worker formats the same few dozen messages over and over. */
const compiled = new Map<string, IntlMessageFormat>();

function compile(text: string, tag: string, key: string): IntlMessageFormat {
  const id = `${tag}\u0000${key}`;
  let format = compiled.get(id);
  if (!format) {
    format = new IntlMessageFormat(text, tag);
    compiled.set(id, format);
  }
  return format;
}

/** The text of `key` in `language`, or in English when that catalogue lacks it. */
export function messageText(language: Language, key: MessageKey): { text: string; language: Language } {
  const own = CATALOGUES[language][key];
  if (own !== undefined) return { text: own, language };
  // A key from a template is not type-checked: say which one is wrong.
  if (!Object.hasOwn(ENGLISH, key)) throw new Error(`no message "${key}" in the catalogues (src/i18n/catalogues/en.ts)`);
  return { text: ENGLISH[key], language: 'en' };
}

export function translator(lang: string | undefined): Translator {
  const reader = readerLanguage(lang);
  return {
    ...reader,
    t: (key, values = {}) => {
      const { text, language } = messageText(reader.language, key);
      const tag = language === reader.language ? reader.tag : DEFAULT_TAG;
      const out = compile(text, tag, key).format(values);
      if (typeof out !== 'string') throw new Error(`message ${key} did not format to text`);
      return out;
    },
  };
}
