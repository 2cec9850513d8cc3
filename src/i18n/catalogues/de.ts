// German. Quotation marks „…“.
import type { Catalogue } from './en.js';

export const de: Catalogue = {
  'kind.share': 'Geteiltes Diagramm',
  'kind.report': 'Bericht',
  'kind.alert': 'Alarm',
  'kind.resolved': 'Behoben',
  'kind.alertError': 'Alarmfehler',
  'kind.alertRecovered': 'Alarm wieder auswertbar',

  'share.someone': 'Jemand',
  'share.summary': '{who} hat „{title}“ mit Ihnen geteilt.',
  'share.subject': '{who} hat „{title}“ geteilt',
  'share.subjectFromApp': '{who} hat „{title}“ aus {app} geteilt',

  'report.summary': 'Ihr Bericht „{title}“ ist fertig: {count, plural, one {# Diagramm} other {# Diagramme}}.',
  'report.subject': 'Bericht: {title} ({date})',

  'alert.summary':
    '{name} liegt bei {value} und damit {operator, select, gt {über dem} ge {auf oder über dem} lt {unter dem} le {auf oder unter dem} eq {genau auf dem} other {nicht auf dem}} Schwellenwert von {threshold}.',
  'alert.subject': 'Alarm: {name} liegt bei {value} ({condition})',
  'resolved.summary': '{name} liegt wieder bei {value}: Die Bedingung {condition} ist nicht mehr erfüllt.',
  'resolved.subject': 'Behoben: {name} liegt wieder bei {value}',
  'alertError.summary':
    'Der Alarm „{name}“ kann nicht ausgewertet werden: {reason, select, auth {Der Datenserver hat den Zugriff verweigert (HTTP {status}); das Zugriffstoken des Alarms ist möglicherweise abgelaufen} http {Der Datenserver hat mit einem Fehler geantwortet (HTTP {status})} timeout {Der Datenserver hat nicht rechtzeitig geantwortet} unreachable {Der Datenserver ist nicht erreichbar} redirect {Der Datenserver hat mit einer Weiterleitung geantwortet, der nicht gefolgt wird} notJson {Die Antwort des Datenservers hatte nicht das erwartete Format} noValue {Die Antwort enthielt nicht die erwartete Zahl} other {Seine Daten konnten nicht gelesen werden}}.',
  'alertError.subject': 'Alarm „{name}“ kann nicht ausgewertet werden',
  'alertError.nextStep': 'Bitten Sie die Person, die diesen Alarm verwaltet, ihn zu prüfen; das Protokoll von courier nennt den genauen Grund.',
  'alertRecovered.summary': 'Der Alarm „{name}“ kann wieder ausgewertet werden.',
  'alertRecovered.subject': 'Alarm „{name}“ wird wieder ausgewertet',
  'alert.valueUnknown': 'unbekannt',

  'fact.stories': 'Diagramme',
  'fact.generated': 'Erstellt',
  'fact.value': 'Wert',
  'fact.condition': 'Bedingung',
  'fact.time': 'Zeitpunkt',
  'fact.error': 'Fehler',
  'fact.nextStep': 'Was tun',
  'fact.story': 'Diagramm',

  'story.notAttached': 'nicht angehängt: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {es wurde nicht rechtzeitig fertig geladen} NAVIGATION_FAILED {seine Seite ließ sich nicht öffnen} DATA_FAILED {es meldete einen Fehler} BROWSER_CRASHED {der Browser brach beim Zeichnen ab} JOB_TIMEOUT {die Zeit zum Zeichnen reichte nicht} other {es konnte nicht gezeichnet werden}}',

  'action.open': 'In Toucan öffnen',
  'action.openReport': 'Bericht öffnen',

  'image.alt':
    '{kind, select, bar {Balkendiagramm} line {Liniendiagramm} area {Flächendiagramm} pie {Kreisdiagramm} scatter {Streudiagramm} map {Karte} table {Tabelle} kpi {Kennzahl} other {Diagramm}}: {title}',
  'page.untitled': 'Seite {number}',

  'note.label': 'Nachricht',
  'note.from': 'Nachricht von {name}',
  'comment.by': 'Kommentar von {author}',

  'document.pages': '{count, plural, one {# Seite} other {# Seiten}}',
  'document.line': 'PDF · {pages, plural, one {# Seite} other {# Seiten}} · {filename}',

  'duration.days': '{count, plural, one {# Tag} other {# Tage}}',
  'duration.hours': '{count, plural, one {# Stunde} other {# Stunden}}',
  'duration.minutes': '{count, plural, one {# Minute} other {# Minuten}}',

  'email.imageInHtml': 'Das Bild des Diagramms wird in der HTML-Version dieser E-Mail angezeigt.',
  'email.imageTooLarge': 'Das Bild ({size}) ist zu groß für diese E-Mail.',
  'email.viewImage': 'Bild ansehen',
  'email.linkValidity': '(der Link ist {duration} gültig)',
  'email.pdfTooLarge': 'Dieses PDF ist zu groß, um es an eine E-Mail anzuhängen.',
  'email.downloadPdf': 'PDF herunterladen',
  'email.pdfAttached': 'Das PDF ist dieser E-Mail angehängt.',
  'email.copyLink': 'Oder kopieren Sie diesen Link:',
  'email.sentFrom': 'Gesendet von Toucan',
  'text.colon': ':',

  'report.contents': 'Inhalt',
  'report.contentsContinued': 'Inhalt (Fortsetzung)',
  'report.storyContinued': '{title} (Fortsetzung)',
  'report.cover': 'Deckblatt',
  'report.pageNumber': '{number} / {total}',
};
