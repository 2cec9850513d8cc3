// composeMessage: one wording for both channels, per kind.
import { describe, expect, it } from 'vitest';
import { composeMessage, formatTime, type MessageInput } from '../../src/delivery/messages.js';

const at = new Date('2026-11-20T09:30:00Z');

function input(overrides: Partial<MessageInput>): MessageInput {
  return { kind: 'share', title: 'Sales by region', at, timezone: 'Europe/Paris', ...overrides };
}

const alert = { name: 'Churn', value: 142, operator: '>' as const, threshold: 100 };

describe('composeMessage', () => {
  it('words a share with who shared it, the comment and the link', () => {
    const message = composeMessage(
      input({ smallApp: 'Sales cockpit', sharedBy: 'Ada', comment: { author: 'Ada', text: 'East is ahead' }, link: 'https://toucan.example.com/s?slide=sales' }),
    );
    expect(message.subject).toBe('Ada shared “Sales by region” from Sales cockpit');
    expect(message.summary).toBe('Ada shared “Sales by region” with you.');
    expect(message.comment).toEqual({ author: 'Ada', text: 'East is ahead' });
    expect(message.action).toEqual({ label: 'Open in Toucan', url: 'https://toucan.example.com/s?slide=sales' });
    // The small app rides next to the title in every channel, never as a fact.
    expect(message.smallApp).toBe('Sales cockpit');
    expect(message.facts).toEqual([]);
    expect(message.note).toBeNull();
  });

  it('says "Someone" when nobody is named and has no action without a link', () => {
    const message = composeMessage(input({}));
    expect(message.subject).toBe('Someone shared “Sales by region”');
    expect(message.action).toBeNull();
    expect(message.smallApp).toBeNull();
  });

  it('lets a target override the subject and add a note', () => {
    const message = composeMessage(input({ sharedBy: 'Ada' }), { subject: 'Look at this', message: 'Before Monday please' });
    expect(message.subject).toBe('Look at this');
    expect(message.note).toBe('Before Monday please');
  });

  it('has a default subject for every kind', () => {
    expect(composeMessage(input({ kind: 'report', title: 'Weekly sales', pageTitles: ['A', 'B'] })).subject).toBe('Report: Weekly sales (20 Nov 2026)');
    expect(composeMessage(input({ kind: 'alert', alert })).subject).toBe('Alert: Churn is 142 (> 100)');
    expect(composeMessage(input({ kind: 'resolved', alert: { ...alert, value: 80 } })).subject).toBe('Resolved: Churn is back to 80');
    expect(composeMessage(input({ kind: 'alert-error', alert: { ...alert, value: null, error: 'HTTP 401' } })).subject).toBe('Alert “Churn” cannot be evaluated');
    expect(composeMessage(input({ kind: 'alert-recovered', alert })).subject).toBe('Alert “Churn” is evaluated again');
  });

  it('lists a report’s stories and an alert’s value, condition and time as facts', () => {
    const report = composeMessage(input({ kind: 'report', title: 'Weekly', pageTitles: ['Sales', 'Churn'] }));
    expect(report.summary).toBe('Your report “Weekly” is ready: 2 stories.');
    expect(report.facts).toContainEqual({ label: 'Stories', value: 'Sales · Churn' });
    const triggered = composeMessage(input({ kind: 'alert', alert: { ...alert, value: 1234.5 }, lang: 'en-GB' }));
    expect(triggered.summary).toBe('Churn is 1,234.5, above the threshold of 100.');
    expect(triggered.facts.map((f) => f.label)).toEqual(['Value', 'Condition', 'Time']);
  });

  it('formats time in the job’s time zone', () => {
    expect(formatTime(at, 'Europe/Paris', 'en-GB')).toBe('20 Nov 2026, 10:30 CET');
    expect(composeMessage(input({ timezone: 'UTC' })).time).toBe('20 Nov 2026, 09:30 UTC');
  });

  it('refuses an alert message without alert facts', () => {
    expect(() => composeMessage(input({ kind: 'alert' }))).toThrow(/needs alert facts/);
  });

  it('keeps people’s text as typed (escaping is the templates’ job)', () => {
    const message = composeMessage(input({ comment: { author: 'Eve', text: '<script>alert(1)</script>' } }));
    expect(message.comment?.text).toBe('<script>alert(1)</script>');
  });
});
