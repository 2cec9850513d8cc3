// Italian. Virgolette «…»; the reader is addressed as tu.
import type { Catalogue } from './en.js';

export const it: Catalogue = {
  'kind.share': 'Grafico condiviso',
  'kind.report': 'Report',
  'kind.alert': 'Avviso',
  'kind.resolved': 'Risolto',
  'kind.alertError': 'Avviso in errore',
  'kind.alertRecovered': 'Avviso ripristinato',

  'share.someone': 'Qualcuno',
  'share.summary': '{who} ha condiviso «{title}» con te.',
  'share.subject': '{who} ha condiviso «{title}»',
  'share.subjectFromApp': '{who} ha condiviso «{title}» da {app}',

  'report.summary': 'Il tuo report «{title}» è pronto: {count, plural, one {# grafico} other {# grafici}}.',
  'report.subject': 'Report: {title} ({date})',

  'alert.summary':
    '{name} è a {value}, {operator, select, gt {sopra la} ge {pari o sopra la} lt {sotto la} le {pari o sotto la} eq {esattamente alla} other {diverso dalla}} soglia di {threshold}.',
  'alert.subject': 'Avviso: {name} è a {value} ({condition})',
  'resolved.summary': '{name} è di nuovo a {value}: la condizione {condition} non è più soddisfatta.',
  'resolved.subject': 'Risolto: {name} è di nuovo a {value}',
  'alertError.summary':
    'L’avviso «{name}» non può essere valutato: {reason, select, auth {il server dei dati ha negato l’accesso (HTTP {status}); il token di accesso dell’avviso potrebbe essere scaduto} http {il server dei dati ha risposto con un errore (HTTP {status})} timeout {il server dei dati non ha risposto in tempo} unreachable {il server dei dati non è raggiungibile} redirect {il server dei dati ha risposto con un reindirizzamento, che non viene seguito} notJson {la risposta del server dei dati non era nel formato atteso} noValue {la risposta non conteneva il numero atteso} other {non è stato possibile leggerne i dati}}.',
  'alertError.subject': 'L’avviso «{name}» non può essere valutato',
  'alertError.nextStep': 'Chiedi a chi gestisce questo avviso di controllarlo; il log di courier indica il motivo esatto.',
  'alertRecovered.summary': 'L’avviso «{name}» può di nuovo essere valutato.',
  'alertRecovered.subject': 'L’avviso «{name}» viene di nuovo valutato',
  'alert.valueUnknown': 'sconosciuto',

  'fact.stories': 'Grafici',
  'fact.generated': 'Generato',
  'fact.value': 'Valore',
  'fact.condition': 'Condizione',
  'fact.time': 'Data',
  'fact.error': 'Errore',
  'fact.nextStep': 'Cosa fare',
  'fact.story': 'Grafico',

  'story.notAttached': 'non allegato: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {non ha finito di caricarsi in tempo} NAVIGATION_FAILED {non è stato possibile aprirne la pagina} DATA_FAILED {ha segnalato un errore} BROWSER_CRASHED {il browser si è fermato mentre lo disegnava} JOB_TIMEOUT {non c’era abbastanza tempo per disegnarlo} other {non è stato possibile disegnarlo}}',

  'action.open': 'Apri in Toucan',
  'action.openReport': 'Apri il report',

  'image.alt':
    '{kind, select, bar {Grafico a barre} line {Grafico a linee} area {Grafico ad aree} pie {Grafico a torta} scatter {Grafico a dispersione} map {Mappa} table {Tabella} kpi {Indicatore chiave} other {Grafico}}: {title}',
  'page.untitled': 'Pagina {number}',

  'note.label': 'Messaggio',
  'note.from': 'Messaggio di {name}',
  'comment.by': 'Commento di {author}',

  'document.pages': '{count, plural, one {# pagina} other {# pagine}}',
  'document.line': 'PDF · {pages, plural, one {# pagina} other {# pagine}} · {filename}',

  'duration.days': '{count, plural, one {# giorno} other {# giorni}}',
  'duration.hours': '{count, plural, one {# ora} other {# ore}}',
  'duration.minutes': '{count, plural, one {# minuto} other {# minuti}}',

  'email.imageInHtml': 'L’immagine del grafico è visibile nella versione HTML di questa email.',
  'email.imageTooLarge': 'L’immagine ({size}) è troppo grande per essere inclusa in questa email.',
  'email.viewImage': 'Visualizza l’immagine',
  'email.linkValidity': '(il link è valido per {duration})',
  'email.pdfTooLarge': 'Questo PDF è troppo grande per essere allegato a un’email.',
  'email.downloadPdf': 'Scarica il PDF',
  'email.pdfAttached': 'Il PDF è allegato a questa email.',
  'email.copyLink': 'Oppure copia questo link:',
  'email.sentFrom': 'Inviato da Toucan',
  'text.colon': ':',

  'report.contents': 'Indice',
  'report.contentsContinued': 'Indice (continua)',
  'report.storyContinued': '{title} (continua)',
  'report.cover': 'Copertina',
  'report.pageNumber': '{number} / {total}',
};
