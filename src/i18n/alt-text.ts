// The alternative text of a story's image, for readers who cannot see it:
// in emails (<img alt>), Teams cards (Image.altText) and tagged PDF reports
// (a Figure's /Alt, through src/report/labels.ts). Pure.
//
// The job's own description wins: only the people who made the story know
// what it shows. Without one, a sentence is generated from the story's title
// and the kind of chart. courier does not guess the kind: no job field
// carries it and a page does not reliably say what it draws, so today it is
// passed only where a caller knows it, and otherwise the sentence says
// "Chart" and no more (never a kind it might have wrong).
import type { Translator } from './translate.js';

export const CHART_KINDS = ['bar', 'line', 'area', 'pie', 'scatter', 'map', 'table', 'kpi'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

export interface PicturedStory {
  /** The story's title (a report page's, a share's). */
  title: string;
  /** The job's description of what the chart shows, in its author's words. */
  description?: string;
  kind?: ChartKind;
}

export function altText(t: Translator['t'], story: PicturedStory): string {
  const description = story.description?.trim();
  if (description) return description;
  return t('image.alt', { kind: story.kind ?? 'other', title: story.title });
}
