// What the language tests need to know about a catalogue message: its
// placeholders (parsed by FormatJS's own ICU parser), sample values to
// render it, its literal words; and whether a reader's text carries an
// English sentence (any phrase of the English catalogue).
import { isLiteralElement, isNumberElement, isPluralElement, isSelectElement, parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { CATALOGUES, ENGLISH, type Language, type MessageKey } from '../../src/i18n/catalogue.js';

export type ArgumentKind = 'text' | 'number' | 'select' | 'plural';

/** Every placeholder of a message with how it is used ({x}, {x, number}, {x, select}, {x, plural}), and each select's keys. */
export function placeholders(text: string): Map<string, { kind: ArgumentKind; keys: string[] }> {
  const found = new Map<string, { kind: ArgumentKind; keys: string[] }>();
  const walk = (elements: MessageFormatElement[]): void => {
    for (const el of elements) {
      if (isLiteralElement(el) || !('value' in el) || typeof el.value !== 'string') continue;
      if (isSelectElement(el)) {
        found.set(el.value, { kind: 'select', keys: Object.keys(el.options).sort() });
        for (const option of Object.values(el.options)) walk(option.value);
      } else if (isPluralElement(el)) {
        found.set(el.value, { kind: 'plural', keys: [] });
        for (const option of Object.values(el.options)) walk(option.value);
      } else {
        found.set(el.value, { kind: isNumberElement(el) ? 'number' : 'text', keys: [] });
      }
    }
  };
  walk(parse(text));
  return found;
}

/** Values that fill every placeholder: a count for plurals, a select's first key, a marked string otherwise. */
export function sampleValues(text: string, count = 3, textValue = (name: string) => `⟨${name}⟩`): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [name, { kind, keys }] of placeholders(text)) {
    values[name] = kind === 'plural' || kind === 'number' ? count : kind === 'select' ? (keys.find((k) => k !== 'other') ?? 'other') : textValue(name);
  }
  return values;
}

/** The literal text of a message, every branch of its selects and plurals, with placeholders as line breaks. */
export function literalPieces(text: string): string[] {
  const pieces: string[] = [];
  const walk = (elements: MessageFormatElement[]): void => {
    let current = '';
    for (const el of elements) {
      if (isLiteralElement(el)) current += el.value;
      else {
        pieces.push(current);
        current = '';
        if (isSelectElement(el) || isPluralElement(el)) for (const option of Object.values(el.options)) walk(option.value);
      }
    }
    pieces.push(current);
  };
  walk(parse(text));
  return pieces;
}

const WORD = /\p{L}[\p{L}’'-]*/gu;

function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

function wordsOf(language: Language): Set<string> {
  const all = new Set<string>();
  for (const text of Object.values(CATALOGUES[language])) for (const piece of literalPieces(text)) for (const w of words(piece)) all.add(w.toLowerCase());
  return all;
}

/**
 * The English phrases of the catalogue: runs of two or more words between
 * placeholders and punctuation ("shared", "with you" → "with you"), and the
 * English words of three letters or more that the other language does not
 * use itself ("Condition" and "Message" are French too; "Alert" is not).
 */
export function englishMarkers(language: Language): { phrases: string[]; words: string[] } {
  const phrases = new Set<string>();
  const single = new Set<string>();
  const own = wordsOf(language);
  for (const key of Object.keys(ENGLISH) as MessageKey[]) {
    for (const piece of literalPieces(ENGLISH[key])) {
      for (const run of piece.split(/[()“”:;,.·/?!]+/)) {
        const w = words(run);
        if (w.length >= 2) phrases.add(w.join(' '));
        for (const word of w) if (word.length >= 3 && !own.has(word.toLowerCase())) single.add(word);
      }
    }
  }
  return { phrases: [...phrases], words: [...single] };
}

/** The English phrases and words found in a reader's text (empty when there is none). */
export function englishIn(text: string, language: Language): string[] {
  const { phrases, words: single } = englishMarkers(language);
  const flat = ` ${words(text).join(' ').toLowerCase()} `;
  const found = phrases.filter((phrase) => flat.includes(` ${phrase.toLowerCase()} `));
  for (const word of single) if (flat.includes(` ${word.toLowerCase()} `)) found.push(word);
  return found;
}
