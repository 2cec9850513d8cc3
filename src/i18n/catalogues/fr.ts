// French, written for the reader by meaning: Toucan's readers read French
// first. A story is « graphique » here, as readers call what they see.
// Typography: « » and a no-break space (\u00a0) before : ; ! ? and inside
// the guillemets; ’ for the apostrophe (see en.ts).
import type { Catalogue } from './en.js';

export const fr: Catalogue = {
  'kind.share': 'Partage',
  'kind.report': 'Rapport',
  'kind.alert': 'Alerte',
  'kind.resolved': 'Retour à la normale',
  'kind.alertError': 'Alerte en erreur',
  'kind.alertRecovered': 'Alerte rétablie',

  'share.someone': 'Quelqu’un',
  'share.summary': '{who} a partagé «\u00a0{title}\u00a0» avec vous.',
  'share.subject': '{who} a partagé «\u00a0{title}\u00a0»',
  'share.subjectFromApp': '{who} a partagé «\u00a0{title}\u00a0» depuis {app}',

  'report.summary': 'Votre rapport «\u00a0{title}\u00a0» est prêt\u00a0: {count, plural, one {# graphique} other {# graphiques}}.',
  'report.subject': 'Rapport\u00a0: {title} ({date})',

  'alert.summary':
    '{operator, select, gt {{name} est à {value}, au-dessus du seuil de {threshold}.} ge {{name} est à {value} et atteint ou dépasse le seuil de {threshold}.} lt {{name} est à {value}, en dessous du seuil de {threshold}.} le {{name} est à {value} et ne dépasse pas le seuil de {threshold}.} eq {{name} est à {value}, soit exactement le seuil de {threshold}.} other {{name} est à {value} et s’écarte du seuil de {threshold}.}}',
  'alert.subject': 'Alerte\u00a0: {name} à {value} ({condition})',
  'resolved.summary': '{name} est de nouveau à {value}\u00a0: la condition {condition} n’est plus remplie.',
  'resolved.subject': 'Retour à la normale\u00a0: {name} est de nouveau à {value}',
  'alertError.summary':
    'L’alerte «\u00a0{name}\u00a0» ne peut pas être évaluée\u00a0: {reason, select, auth {le serveur de données a refusé l’accès (HTTP {status})\u00a0; le jeton d’accès de l’alerte a peut-être expiré} http {le serveur de données a répondu par une erreur (HTTP {status})} timeout {le serveur de données n’a pas répondu à temps} unreachable {le serveur de données est injoignable} redirect {le serveur de données a répondu par une redirection, qui n’est pas suivie} notJson {la réponse du serveur de données n’était pas au format attendu} noValue {la réponse ne contenait pas le nombre attendu} other {ses données n’ont pas pu être lues}}.',
  'alertError.subject': 'L’alerte «\u00a0{name}\u00a0» ne peut pas être évaluée',
  'alertError.nextStep': 'Demandez à la personne qui gère cette alerte de la vérifier\u00a0; le journal de courier en donne la raison exacte.',
  'alertRecovered.summary': 'L’alerte «\u00a0{name}\u00a0» peut de nouveau être évaluée.',
  'alertRecovered.subject': 'L’alerte «\u00a0{name}\u00a0» fonctionne de nouveau',
  'alert.valueUnknown': 'inconnue',

  'fact.stories': 'Graphiques',
  'fact.generated': 'Généré le',
  'fact.value': 'Valeur',
  'fact.condition': 'Condition',
  'fact.time': 'Date',
  'fact.error': 'Erreur',
  'fact.nextStep': 'Que faire',
  'fact.story': 'Graphique',

  'story.notAttached': 'non joint\u00a0: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {il n’a pas fini de se charger à temps} NAVIGATION_FAILED {sa page n’a pas pu être ouverte} DATA_FAILED {il a signalé une erreur} BROWSER_CRASHED {le navigateur s’est arrêté pendant son affichage} JOB_TIMEOUT {le temps a manqué pour l’afficher} other {il n’a pas pu être affiché}}',

  'action.open': 'Ouvrir dans Toucan',
  'action.openReport': 'Ouvrir le rapport',

  'image.alt':
    '{kind, select, bar {Graphique en barres} line {Graphique en courbes} area {Graphique en aires} pie {Graphique en secteurs} scatter {Nuage de points} map {Carte} table {Tableau} kpi {Indicateur clé} other {Graphique}}\u00a0: {title}',
  'page.untitled': 'Page {number}',

  'note.label': 'Message',
  'note.from': 'Message de {name}',
  'comment.by': 'Commentaire de {author}',

  'document.pages': '{count, plural, one {# page} other {# pages}}',
  'document.line': 'PDF · {pages, plural, one {# page} other {# pages}} · {filename}',

  'duration.days': '{count, plural, one {# jour} other {# jours}}',
  'duration.hours': '{count, plural, one {# heure} other {# heures}}',
  'duration.minutes': '{count, plural, one {# minute} other {# minutes}}',

  'email.imageInHtml': 'L’image du graphique s’affiche dans la version HTML de ce message.',
  'email.imageTooLarge': 'L’image ({size}) est trop lourde pour être incluse dans ce message.',
  'email.viewImage': 'Voir l’image',
  'email.linkValidity': '(lien valable {duration})',
  'email.pdfTooLarge': 'Ce PDF est trop lourd pour être joint à un e-mail.',
  'email.downloadPdf': 'Télécharger le PDF',
  'email.pdfAttached': 'Le PDF est joint à ce message.',
  'email.copyLink': 'Ou copiez ce lien\u00a0:',
  'email.sentFrom': 'Envoyé depuis Toucan',
  'text.colon': '\u00a0:',

  'report.contents': 'Sommaire',
  'report.contentsContinued': 'Sommaire (suite)',
  'report.storyContinued': '{title} (suite)',
  'report.cover': 'Couverture',
  'report.pageNumber': '{number} / {total}',
};
