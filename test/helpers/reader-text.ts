// The text a reader sees in a message, for the language checks: an HTML
// part's visible text (and its alt attributes, which screen readers speak),
// and a card's strings that Teams shows (never its URLs or settings).
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', nbsp: '\u00a0', middot: '·', '#x27': "'", '#x3D': '=', '#39': "'" };

export function visibleText(html: string): string {
  const alts = [...html.matchAll(/\balt="([^"]*)"/g)].map((m) => m[1] ?? '');
  const text = html
    .replace(/<title>[\s\S]*?<\/title>/i, '')
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]+>/g, ' ');
  return [text, ...alts].join('\n').replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (all, name: string) => ENTITIES[name] ?? (name.startsWith('#x') ? String.fromCodePoint(parseInt(name.slice(2), 16)) : name.startsWith('#') ? String.fromCodePoint(Number(name.slice(1))) : all));
}

/** Strings of a card that a reader sees: TextRun and TextBlock text, facts, image alt text, action titles, the fallback. */
export function cardStrings(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(cardStrings);
  if (node === null || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  const own = ['text', 'title', 'value', 'altText', 'fallbackText', 'summary'].flatMap((key) => (typeof object[key] === 'string' ? [object[key]] : []));
  return [...own, ...Object.entries(object).filter(([key]) => key !== 'url').flatMap(([, value]) => cardStrings(value))];
}
