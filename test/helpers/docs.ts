// The fenced code blocks of a Markdown page, for the tests that run or
// compile what the documentation shows.

export interface CodeBlock {
  /** The language after the opening fence (`sh`, `js`, `python`), '' for none. */
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** The HTML comment on the line just before the fence, if any (`<!-- newcomer-steps … -->`). */
  marker: string | null;
}

/** Every fenced block of the page, or only those in `lang`. */
export function codeBlocks(markdown: string, lang?: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    const before = lines[start - 1]?.trim() ?? '';
    blocks.push({ lang: open[1] ?? '', line: start + 1, code: `${body.join('\n')}\n`, marker: /^<!--.*-->$/.test(before) ? before : null });
  }
  return lang === undefined ? blocks : blocks.filter((b) => b.lang === lang);
}

/** The commands of `sh` blocks that start with `npx courier`, each with where it is written. */
export function courierCommands(markdown: string, page: string): { where: string; command: string }[] {
  return codeBlocks(markdown, 'sh').flatMap((block) =>
    block.code
      .split('\n')
      .map((text, i) => ({ where: `${page}:${block.line + 1 + i}`, command: text.trim() }))
      .filter(({ command }) => command.startsWith('npx courier ')),
  );
}
