// The six catalogues, one per language Toucan's readers read (French first).
// A catalogue other than English may lack a message: that message alone
// falls back to English (translate.ts). test/unit/i18n-catalogues.test.ts
// keeps them in step: no missing key, the same placeholders, every message
// renders in every language.
import { de } from './catalogues/de.js';
import { en, type Catalogue, type MessageKey } from './catalogues/en.js';
import { es } from './catalogues/es.js';
import { fr } from './catalogues/fr.js';
import { it } from './catalogues/it.js';
import { nl } from './catalogues/nl.js';

export type { Catalogue, MessageKey } from './catalogues/en.js';

export const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

export const CATALOGUES: Record<Language, Catalogue> = { en, fr, de, es, it, nl };

export const ENGLISH: Record<MessageKey, string> = en;
