// One place that turns what happened (a share, a report, an alert) into the
// content of a message, so email and Teams say the same thing. Pure: plain
// data in, plain data out. Channels only lay this content out (email
// templates, Adaptive Card templates); they never word it themselves.
//
// Strings here are plain text typed by people or built from their input;
// escaping is the job of the template engines that place them into HTML or
// a card, never of this file.
import type { Operator } from '../contracts/alert.js';

export type MessageKind = 'share' | 'report' | 'alert' | 'resolved' | 'alert-error' | 'alert-recovered';

/** What kind of message it is, in a word or two: shown above the title in every channel. */
export const KIND_LABEL: Record<MessageKind, string> = {
  share: 'Shared story',
  report: 'Report',
  alert: 'Alert',
  resolved: 'Resolved',
  'alert-error': 'Alert error',
  'alert-recovered': 'Alert recovered',
};

export interface ImagePart {
  data: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Artifact path under ARTIFACTS_DIR, for a signed link when the image cannot travel inline. */
  artifactPath: string | null;
}

export interface DocumentPart {
  data: Buffer;
  mime: 'application/pdf';
  filename: string;
  pages: number;
  artifactPath: string | null;
}

export interface AlertFacts {
  name: string;
  /** The value read from the backend; null when the evaluation failed. */
  value: number | null;
  operator: Operator;
  threshold: number;
  /** Why the evaluation failed (alert-error). */
  error?: string;
}

/** What a processor knows when it asks for a message to be sent. */
export interface MessageInput {
  kind: MessageKind;
  title: string;
  smallApp?: string;
  /** "Open in Toucan": the story, without export=true. */
  link?: string;
  sharedBy?: string;
  comment?: { author: string; text: string };
  image?: ImagePart;
  /** Why the story image is missing (e.g. it was not ready on the job's last attempt); shown as a fact. */
  imageProblem?: string;
  document?: DocumentPart;
  alert?: AlertFacts;
  /** Titles of a report's pages, in order. */
  pageTitles?: string[];
  at: Date;
  timezone?: string;
  lang?: string;
}

/** What a target adds: its own subject and a note from the sender. */
export interface TargetWords {
  subject?: string;
  message?: string;
}

export interface Fact {
  label: string;
  value: string;
}

/** Channel-neutral content of one message. */
export interface Message {
  kind: MessageKind;
  /** KIND_LABEL of the kind. */
  label: string;
  subject: string;
  title: string;
  smallApp: string | null;
  /** One sentence saying what happened. */
  summary: string;
  sharedBy: string | null;
  comment: { author: string; text: string } | null;
  /** The sender's note from the delivery target. */
  note: string | null;
  facts: Fact[];
  /** The main action ("Open in Toucan"); null when there is no link. */
  action: { label: string; url: string } | null;
  image: ImagePart | null;
  document: DocumentPart | null;
  /** When it happened, formatted in the job's time zone. */
  time: string;
}

const OPERATOR_WORDS: Record<Operator, string> = {
  '>': 'above',
  '>=': 'at or above',
  '<': 'below',
  '<=': 'at or below',
  '==': 'equal to',
  '!=': 'not equal to',
};

export function formatTime(at: Date, timezone = 'UTC', lang = 'en-GB'): string {
  // Explicit fields: Intl refuses timeZoneName together with dateStyle/timeStyle.
  return new Intl.DateTimeFormat(lang, { timeZone: timezone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(at);
}

export function formatNumber(value: number, lang = 'en-GB'): string {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 6 }).format(value);
}

function quoted(text: string): string {
  return `“${text}”`;
}

export function composeMessage(input: MessageInput, words: TargetWords = {}): Message {
  const time = formatTime(input.at, input.timezone, input.lang);
  // The small app is shown next to the title by every channel, so it is not repeated as a fact.
  const facts: Fact[] = [];
  let summary: string;
  let subject: string;
  let actionLabel = 'Open in Toucan';

  switch (input.kind) {
    case 'share': {
      const who = input.sharedBy ?? 'Someone';
      summary = `${who} shared ${quoted(input.title)} with you.`;
      subject = `${who} shared ${quoted(input.title)}${input.smallApp ? ` from ${input.smallApp}` : ''}`;
      break;
    }
    case 'report': {
      const pages = input.pageTitles ?? [];
      summary = `Your report ${quoted(input.title)} is ready: ${pages.length} ${pages.length === 1 ? 'story' : 'stories'}.`;
      subject = `Report: ${input.title} (${formatTime(input.at, input.timezone, input.lang).split(',')[0]})`;
      facts.push({ label: 'Stories', value: pages.join(' · ') || '—' });
      facts.push({ label: 'Generated', value: time });
      actionLabel = 'Open report';
      break;
    }
    case 'alert':
    case 'resolved': {
      const a = requireAlert(input);
      const value = a.value === null ? 'unknown' : formatNumber(a.value, input.lang);
      const threshold = formatNumber(a.threshold, input.lang);
      if (input.kind === 'alert') {
        summary = `${a.name} is ${value}, ${OPERATOR_WORDS[a.operator]} the threshold of ${threshold}.`;
        subject = `Alert: ${a.name} is ${value} (${a.operator} ${threshold})`;
      } else {
        summary = `${a.name} is back to ${value}: the condition ${a.operator} ${threshold} no longer holds.`;
        subject = `Resolved: ${a.name} is back to ${value}`;
      }
      facts.push({ label: 'Value', value });
      facts.push({ label: 'Condition', value: `${a.operator} ${threshold}` });
      facts.push({ label: 'Time', value: time });
      break;
    }
    case 'alert-error': {
      const a = requireAlert(input);
      summary = `The alert ${quoted(a.name)} cannot be evaluated: ${a.error ?? 'unknown error'}.`;
      subject = `Alert ${quoted(a.name)} cannot be evaluated`;
      facts.push({ label: 'Error', value: a.error ?? 'unknown error' });
      facts.push({ label: 'Time', value: time });
      break;
    }
    case 'alert-recovered': {
      const a = requireAlert(input);
      summary = `The alert ${quoted(a.name)} can be evaluated again.`;
      subject = `Alert ${quoted(a.name)} is evaluated again`;
      facts.push({ label: 'Time', value: time });
      break;
    }
  }

  if (input.imageProblem) facts.push({ label: 'Story', value: `not attached (${input.imageProblem})` });

  return {
    kind: input.kind,
    label: KIND_LABEL[input.kind],
    subject: words.subject ?? subject,
    title: input.title,
    smallApp: input.smallApp ?? null,
    summary,
    sharedBy: input.sharedBy ?? null,
    comment: input.comment ?? null,
    note: words.message ?? null,
    facts,
    action: input.link ? { label: actionLabel, url: input.link } : null,
    image: input.image ?? null,
    document: input.document ?? null,
    time,
  };
}

function requireAlert(input: MessageInput): AlertFacts {
  if (!input.alert) throw new Error(`a ${input.kind} message needs alert facts`);
  return input.alert;
}
