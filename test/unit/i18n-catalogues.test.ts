// The six catalogues kept in step: every key in every language, the same
// placeholders used the same way, every message rendering in every language;
// a missing message falls back to English alone; the reader's language
// from a tag; and no English left in a French message, for each kind.
import { afterEach, describe, expect, it } from 'vitest';
import { CATALOGUES, ENGLISH, LANGUAGES, type MessageKey } from '../../src/i18n/catalogue.js';
import { readerLanguage } from '../../src/i18n/language.js';
import { translator } from '../../src/i18n/translate.js';
import { englishIn, placeholders, sampleValues } from '../helpers/catalogues.js';

const KEYS = Object.keys(ENGLISH) as MessageKey[];
const OTHERS = LANGUAGES.filter((l) => l !== 'en');

describe('the catalogues', () => {
  it('have every message in every language, and nothing else', () => {
    for (const language of OTHERS) {
      const keys = Object.keys(CATALOGUES[language]).sort();
      expect(keys, language).toEqual([...KEYS].sort());
    }
  });

  it('use the same placeholders as English, in the same way (text, number, plural, select and its choices)', () => {
    for (const key of KEYS) {
      const english = placeholders(ENGLISH[key]);
      for (const language of OTHERS) {
        const text = CATALOGUES[language][key] ?? '';
        expect(placeholders(text), `${language} ${key}: ${text}`).toEqual(english);
      }
    }
  });

  it('render every message in every language, with one and with several', () => {
    for (const language of LANGUAGES) {
      const { t } = translator(language);
      for (const key of KEYS) {
        for (const count of [1, 3, 1_000_000]) {
          const out = t(key, sampleValues(ENGLISH[key], count));
          expect(out.trim(), `${language} ${key}`).not.toBe('');
          expect(out, `${language} ${key}`).not.toMatch(/[{}]/);
          // Every text placeholder shows up in the output.
          for (const [name, { kind }] of placeholders(ENGLISH[key])) if (kind === 'text') expect(out, `${language} ${key}`).toContain(`⟨${name}⟩`);
        }
      }
    }
  });

  it('write French with its own typography: guillemets and a no-break space before : ; ? !', () => {
    for (const key of KEYS) {
      const text = CATALOGUES.fr[key] ?? '';
      expect(text, key).not.toMatch(/[“”"]/);
      expect(text, key).not.toMatch(/ [:;?!]/);
      expect(text, key).not.toMatch(/'/);
    }
  });

  it('carry no English phrase outside English (the same check as the French deliveries)', () => {
    for (const language of OTHERS) {
      const { t } = translator(language);
      const all = KEYS.map((key) => t(key, sampleValues(ENGLISH[key], 3, () => 'X'))).join('\n');
      expect(englishIn(all, language), language).toEqual([]);
    }
    // The check can fail: English text is found.
    expect(englishIn('Votre rapport est prêt. Open in Toucan', 'fr')).toContain('Open in Toucan');
    expect(englishIn('Alert: Chiffre d’affaires', 'fr')).toContain('Alert');
  });
});

describe('fallback to English, message by message', () => {
  const removed = CATALOGUES.fr['action.open'];
  afterEach(() => {
    CATALOGUES.fr['action.open'] = removed;
  });

  it('gives the English message where the reader’s catalogue lacks it, and the reader’s language elsewhere', () => {
    delete CATALOGUES.fr['action.open'];
    const { t } = translator('fr-FR');
    expect(t('action.open')).toBe('Open in Toucan');
    expect(t('action.openReport')).toBe('Ouvrir le rapport');
    // The English fallback is formatted as English (its plural rules, its numbers).
    delete CATALOGUES.fr['document.pages'];
    expect(t('document.pages', { count: 1234 })).toBe('1,234 pages');
    CATALOGUES.fr['document.pages'] = '{count, plural, one {# page} other {# pages}}';
    expect(t('document.pages', { count: 1234 })).toBe('1\u202f234 pages');
  });

  it('refuses a key no catalogue has (a template typo), naming it', () => {
    expect(() => translator('fr').t('email.nope' as MessageKey)).toThrow(/no message "email\.nope"/);
  });
});

describe('readerLanguage', () => {
  it('takes a language courier has, keeping its region for dates and numbers', () => {
    expect(readerLanguage('fr-FR')).toEqual({ language: 'fr', tag: 'fr-FR' });
    expect(readerLanguage('fr-ca')).toEqual({ language: 'fr', tag: 'fr-CA' });
    expect(readerLanguage('de')).toEqual({ language: 'de', tag: 'de' });
    expect(readerLanguage('NL-be')).toEqual({ language: 'nl', tag: 'nl-BE' });
  });

  it('writes a language it has no catalogue for wholly in English, dates too', () => {
    expect(readerLanguage('pt-BR')).toEqual({ language: 'en', tag: 'en-GB' });
    expect(readerLanguage(undefined)).toEqual({ language: 'en', tag: 'en-GB' });
    expect(readerLanguage('not a tag')).toEqual({ language: 'en', tag: 'en-GB' });
  });
});
