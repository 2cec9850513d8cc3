// Dutch. Aanhalingstekens “…”; the reader is addressed as je.
import type { Catalogue } from './en.js';

export const nl: Catalogue = {
  'kind.share': 'Gedeelde grafiek',
  'kind.report': 'Rapport',
  'kind.alert': 'Melding',
  'kind.resolved': 'Opgelost',
  'kind.alertError': 'Meldingsfout',
  'kind.alertRecovered': 'Melding hersteld',

  'share.someone': 'Iemand',
  'share.summary': '{who} heeft “{title}” met je gedeeld.',
  'share.subject': '{who} heeft “{title}” gedeeld',
  'share.subjectFromApp': '{who} heeft “{title}” uit {app} gedeeld',

  'report.summary': 'Je rapport “{title}” is klaar: {count, plural, one {# grafiek} other {# grafieken}}.',
  'report.subject': 'Rapport: {title} ({date})',

  'alert.summary':
    '{name} staat op {value}, {operator, select, gt {boven de} ge {op of boven de} lt {onder de} le {op of onder de} eq {precies op de} other {niet op de}} drempel van {threshold}.',
  'alert.subject': 'Melding: {name} staat op {value} ({condition})',
  'resolved.summary': '{name} staat weer op {value}: de voorwaarde {condition} geldt niet meer.',
  'resolved.subject': 'Opgelost: {name} staat weer op {value}',
  'alertError.summary':
    'De melding “{name}” kan niet worden geëvalueerd: {reason, select, auth {de gegevensserver weigerde de toegang (HTTP {status}); het toegangstoken van de melding is mogelijk verlopen} http {de gegevensserver antwoordde met een fout (HTTP {status})} timeout {de gegevensserver antwoordde niet op tijd} unreachable {de gegevensserver is niet bereikbaar} redirect {de gegevensserver antwoordde met een doorverwijzing, die niet wordt gevolgd} notJson {het antwoord van de gegevensserver had niet het verwachte formaat} noValue {het antwoord bevatte niet het verwachte getal} other {de gegevens konden niet worden gelezen}}.',
  'alertError.subject': 'Melding “{name}” kan niet worden geëvalueerd',
  'alertError.nextStep': 'Vraag degene die deze melding beheert om die te controleren; het logboek van courier geeft de precieze reden.',
  'alertRecovered.summary': 'De melding “{name}” kan weer worden geëvalueerd.',
  'alertRecovered.subject': 'Melding “{name}” wordt weer geëvalueerd',
  'alert.valueUnknown': 'onbekend',

  'fact.stories': 'Grafieken',
  'fact.generated': 'Gemaakt',
  'fact.value': 'Waarde',
  'fact.condition': 'Voorwaarde',
  'fact.time': 'Tijdstip',
  'fact.error': 'Fout',
  'fact.nextStep': 'Wat te doen',
  'fact.story': 'Grafiek',

  'story.notAttached': 'niet bijgevoegd: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {hij was niet op tijd geladen} NAVIGATION_FAILED {de pagina kon niet worden geopend} DATA_FAILED {hij meldde een fout} BROWSER_CRASHED {de browser stopte tijdens het tekenen} JOB_TIMEOUT {er was niet genoeg tijd om hem te tekenen} other {hij kon niet worden getekend}}',

  'action.open': 'Openen in Toucan',
  'action.openReport': 'Rapport openen',

  'image.alt':
    '{kind, select, bar {Staafdiagram} line {Lijndiagram} area {Vlakdiagram} pie {Cirkeldiagram} scatter {Spreidingsdiagram} map {Kaart} table {Tabel} kpi {Kerncijfer} other {Grafiek}}: {title}',
  'page.untitled': 'Pagina {number}',

  'note.label': 'Bericht',
  'note.from': 'Bericht van {name}',
  'comment.by': 'Opmerking van {author}',

  'document.pages': '{count, plural, one {# pagina} other {# pagina’s}}',
  'document.line': 'PDF · {pages, plural, one {# pagina} other {# pagina’s}} · {filename}',

  'duration.days': '{count, plural, one {# dag} other {# dagen}}',
  'duration.hours': '{count, plural, one {# uur} other {# uur}}',
  'duration.minutes': '{count, plural, one {# minuut} other {# minuten}}',

  'email.imageInHtml': 'De afbeelding van de grafiek staat in de HTML-versie van deze e-mail.',
  'email.imageTooLarge': 'De afbeelding ({size}) is te groot om in deze e-mail op te nemen.',
  'email.viewImage': 'Afbeelding bekijken',
  'email.linkValidity': '(de link is {duration} geldig)',
  'email.pdfTooLarge': 'Deze pdf is te groot om als bijlage te versturen.',
  'email.downloadPdf': 'Pdf downloaden',
  'email.pdfAttached': 'De pdf is bij deze e-mail gevoegd.',
  'email.copyLink': 'Of kopieer deze link:',
  'email.sentFrom': 'Verzonden vanuit Toucan',
  'text.colon': ':',

  'report.contents': 'Inhoud',
  'report.contentsContinued': 'Inhoud (vervolg)',
  'report.storyContinued': '{title} (vervolg)',
  'report.cover': 'Omslag',
  'report.pageNumber': '{number} / {total}',
};
