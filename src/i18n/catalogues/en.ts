// English: every word a reader of courier's emails, cards and reports sees,
// and the catalogue every other language falls back to, message by message.
// ICU MessageFormat (FormatJS intl-messageformat): {name} is a placeholder,
// {n, plural, …} and {x, select, …} choose by number or value, # is the
// number in the reader's notation. Quotation marks are part of each message,
// since each language has its own. Use ’ for an apostrophe: a straight one
// before { or } starts an ICU quotation and would swallow the placeholder.
//
// Placeholders whose value is a number formatted by courier before it
// arrives here (dates, values, thresholds, sizes) are plain {placeholders}.
export const en = {
  // What kind of message it is, in a word or two, above the title.
  'kind.share': 'Shared story',
  'kind.report': 'Report',
  'kind.alert': 'Alert',
  'kind.resolved': 'Resolved',
  'kind.alertError': 'Alert error',
  'kind.alertRecovered': 'Alert recovered',

  'share.someone': 'Someone',
  'share.summary': '{who} shared “{title}” with you.',
  'share.subject': '{who} shared “{title}”',
  'share.subjectFromApp': '{who} shared “{title}” from {app}',

  'report.summary': 'Your report “{title}” is ready: {count, plural, one {# story} other {# stories}}.',
  'report.subject': 'Report: {title} ({date})',

  // {operator} is gt, ge, lt, le, eq or ne (>, >=, <, <=, ==, !=).
  'alert.summary':
    '{name} is {value}, {operator, select, gt {above} ge {at or above} lt {below} le {at or below} eq {equal to} other {not equal to}} the threshold of {threshold}.',
  'alert.subject': 'Alert: {name} is {value} ({condition})',
  'resolved.summary': '{name} is back to {value}: the condition {condition} no longer holds.',
  'resolved.subject': 'Resolved: {name} is back to {value}',
  // {reason}: what went wrong, as AlertErrorReason (src/delivery/messages.ts) says (auth is HTTP 401 or 403); {status} the HTTP status.
  'alertError.summary':
    'The alert “{name}” cannot be evaluated: {reason, select, auth {the data server refused access (HTTP {status}); the alert’s access token may have expired} http {the data server answered with an error (HTTP {status})} timeout {the data server did not answer in time} unreachable {the data server could not be reached} redirect {the data server answered with a redirection, which is not followed} notJson {the data server’s answer was not in the expected format} noValue {the answer did not hold the expected number} other {its data could not be read}}.',
  'alertError.subject': 'Alert “{name}” cannot be evaluated',
  'alertError.nextStep': 'Ask the person who manages this alert to check it; courier’s log gives the exact reason.',
  'alertRecovered.summary': 'The alert “{name}” can be evaluated again.',
  'alertRecovered.subject': 'Alert “{name}” is evaluated again',
  'alert.valueUnknown': 'unknown',

  'fact.stories': 'Stories',
  'fact.generated': 'Generated',
  'fact.value': 'Value',
  'fact.condition': 'Condition',
  'fact.time': 'Time',
  'fact.error': 'Error',
  'fact.nextStep': 'What to do',
  'fact.story': 'Story',

  // The story image could not be sent with an alert: why, by the job's error code.
  'story.notAttached': 'not attached: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {the story was not ready in time} NAVIGATION_FAILED {the story could not be opened} DATA_FAILED {the story reported an error} BROWSER_CRASHED {the browser stopped while drawing it} JOB_TIMEOUT {there was not enough time to draw it} other {it could not be drawn}}',

  'action.open': 'Open in Toucan',
  'action.openReport': 'Open report',

  // Alternative text of the story image. {kind} is the kind of chart when
  // courier knows it (bar, line, area, pie, scatter, map, table, kpi), else other.
  'image.alt':
    '{kind, select, bar {Bar chart} line {Line chart} area {Area chart} pie {Pie chart} scatter {Scatter chart} map {Map} table {Table} kpi {Key figure} other {Chart}}: {title}',
  'page.untitled': 'Page {number}',

  'note.label': 'Message',
  'note.from': 'Message from {name}',
  'comment.by': '{author} commented',

  'document.pages': '{count, plural, one {# page} other {# pages}}',
  'document.line': 'PDF · {pages, plural, one {# page} other {# pages}} · {filename}',

  'duration.days': '{count, plural, one {# day} other {# days}}',
  'duration.hours': '{count, plural, one {# hour} other {# hours}}',
  'duration.minutes': '{count, plural, one {# minute} other {# minutes}}',

  'email.imageInHtml': 'The story image is shown in the HTML version of this email.',
  'email.imageTooLarge': 'The image ({size}) is too large to include in this email.',
  'email.viewImage': 'View the image',
  'email.linkValidity': '(the link works for {duration})',
  'email.pdfTooLarge': 'This PDF is too large to attach to an email.',
  'email.downloadPdf': 'Download the PDF',
  'email.pdfAttached': 'The PDF is attached to this email.',
  'email.copyLink': 'Or copy this link:',
  'email.sentFrom': 'Sent from Toucan',
  // What ends a label in the plain-text part ("Value: 140"): French puts a no-break space before it.
  'text.colon': ':',

  // The PDF report's own words (src/report/labels.ts).
  'report.contents': 'Contents',
  'report.contentsContinued': 'Contents (continued)',
  'report.storyContinued': '{title} (continued)',
  'report.cover': 'Cover',
  'report.pageNumber': '{number} / {total}',
} as const;

export type MessageKey = keyof typeof en;

/** A language's messages; a typo in a key is a type error, a missing key falls back to English. */
export type Catalogue = Partial<Record<MessageKey, string>>;
