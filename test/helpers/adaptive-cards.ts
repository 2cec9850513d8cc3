// Microsoft's Adaptive Cards library (npm `adaptivecards`, what Teams' web
// client is built on) as the judge of a card: it parses the card as its
// schema says, lists what it refuses (unknown element types, bad values,
// wrong versions), and renders it to HTML in happy-dom, so a test sees the
// words a reader gets and the image's alt attribute.
import { createRequire } from 'node:module';
import type * as AdaptiveCardsTypes from 'adaptivecards';
import { Window } from 'happy-dom';

// The package's ESM build (lib/) imports its files without extensions, which
// Node's ESM loader refuses; its UMD bundle is the same code in one file.
type AdaptiveCardsModule = typeof AdaptiveCardsTypes;
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsModule;

/**
 * adaptivecards 3.0.6 checks `lang` with a global regular expression
 * (/^[a-z]{2,3}$/gi), whose lastIndex survives from one test to the next: every
 * second card in a process is told its valid "de" is invalid. Reset it before
 * each parse, so the library judges each card alone.
 */
function resetLangCheck(): void {
  const check = AdaptiveCards.CardElement.langProperty.regEx;
  if (check) check.lastIndex = 0;
}

/** What the library refuses in a card, one sentence each (empty: valid). */
export function validateCard(card: object): string[] {
  resetLangCheck();
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  return problems;
}

/** The card rendered by the library, in a DOM of its own: its HTML and the text a reader sees. */
export async function renderCard(card: object): Promise<{ html: string; text: string; lang: string | undefined }> {
  const window = new Window();
  // The renderer reaches for browser globals (document, HTMLElement classes): lend them for the render only.
  const lent: string[] = [];
  const globals = globalThis as Record<string, unknown>;
  const source = window as unknown as Record<string, unknown>;
  for (const name of ['window', 'document', ...Object.getOwnPropertyNames(window).filter((n) => /^(HTML|SVG)|^(Node|Element|Text|DocumentFragment|getComputedStyle)$/.test(n))]) {
    if (name in globals) continue;
    globals[name] = name === 'window' ? window : source[name];
    lent.push(name);
  }
  try {
    resetLangCheck();
    const parsed = new AdaptiveCards.AdaptiveCard();
    parsed.parse(card);
    const element = parsed.render();
    if (!element) throw new Error('the Adaptive Cards library rendered nothing');
    return { html: element.outerHTML, text: element.textContent ?? '', lang: parsed.lang };
  } finally {
    for (const name of lent) delete globals[name];
    await window.happyDOM.close();
  }
}
