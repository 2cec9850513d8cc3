// Spanish. Comillas «…»; the reader is addressed as tú, as Spanish SaaS mail does.
import type { Catalogue } from './en.js';

export const es: Catalogue = {
  'kind.share': 'Gráfico compartido',
  'kind.report': 'Informe',
  'kind.alert': 'Alerta',
  'kind.resolved': 'Resuelta',
  'kind.alertError': 'Error de alerta',
  'kind.alertRecovered': 'Alerta restablecida',

  'share.someone': 'Alguien',
  'share.summary': '{who} ha compartido «{title}» contigo.',
  'share.subject': '{who} ha compartido «{title}»',
  'share.subjectFromApp': '{who} ha compartido «{title}» de {app}',

  'report.summary': 'Tu informe «{title}» está listo: {count, plural, one {# gráfico} other {# gráficos}}.',
  'report.subject': 'Informe: {title} ({date})',

  'alert.summary':
    '{name} está en {value}, {operator, select, gt {por encima del} ge {en el umbral o por encima del} lt {por debajo del} le {en el umbral o por debajo del} eq {exactamente en el} other {fuera del}} umbral de {threshold}.',
  'alert.subject': 'Alerta: {name} está en {value} ({condition})',
  'resolved.summary': '{name} ha vuelto a {value}: la condición {condition} ya no se cumple.',
  'resolved.subject': 'Resuelta: {name} ha vuelto a {value}',
  'alertError.summary':
    'La alerta «{name}» no se puede evaluar: {reason, select, auth {el servidor de datos ha denegado el acceso (HTTP {status}); puede que el token de acceso de la alerta haya caducado} http {el servidor de datos ha respondido con un error (HTTP {status})} timeout {el servidor de datos no ha respondido a tiempo} unreachable {no se ha podido contactar con el servidor de datos} redirect {el servidor de datos ha respondido con una redirección, que no se sigue} notJson {la respuesta del servidor de datos no tenía el formato esperado} noValue {la respuesta no contenía el número esperado} other {no se han podido leer sus datos}}.',
  'alertError.subject': 'La alerta «{name}» no se puede evaluar',
  'alertError.nextStep': 'Pide a la persona que gestiona esta alerta que la revise; el registro de courier indica el motivo exacto.',
  'alertRecovered.summary': 'La alerta «{name}» se puede evaluar de nuevo.',
  'alertRecovered.subject': 'La alerta «{name}» vuelve a evaluarse',
  'alert.valueUnknown': 'desconocido',

  'fact.stories': 'Gráficos',
  'fact.generated': 'Generado',
  'fact.value': 'Valor',
  'fact.condition': 'Condición',
  'fact.time': 'Fecha',
  'fact.error': 'Error',
  'fact.nextStep': 'Qué hacer',
  'fact.story': 'Gráfico',

  'story.notAttached': 'no adjunto: {reason}',
  'story.problem':
    '{code, select, SELECTOR_TIMEOUT {no terminó de cargarse a tiempo} NAVIGATION_FAILED {no se pudo abrir su página} DATA_FAILED {indicó un error} BROWSER_CRASHED {el navegador se detuvo al dibujarlo} JOB_TIMEOUT {no hubo tiempo suficiente para dibujarlo} other {no se pudo dibujar}}',

  'action.open': 'Abrir en Toucan',
  'action.openReport': 'Abrir el informe',

  'image.alt':
    '{kind, select, bar {Gráfico de barras} line {Gráfico de líneas} area {Gráfico de áreas} pie {Gráfico circular} scatter {Gráfico de dispersión} map {Mapa} table {Tabla} kpi {Indicador clave} other {Gráfico}}: {title}',
  'page.untitled': 'Página {number}',

  'note.label': 'Mensaje',
  'note.from': 'Mensaje de {name}',
  'comment.by': 'Comentario de {author}',

  'document.pages': '{count, plural, one {# página} other {# páginas}}',
  'document.line': 'PDF · {pages, plural, one {# página} other {# páginas}} · {filename}',

  'duration.days': '{count, plural, one {# día} other {# días}}',
  'duration.hours': '{count, plural, one {# hora} other {# horas}}',
  'duration.minutes': '{count, plural, one {# minuto} other {# minutos}}',

  'email.imageInHtml': 'La imagen del gráfico se muestra en la versión HTML de este correo.',
  'email.imageTooLarge': 'La imagen ({size}) es demasiado grande para incluirla en este correo.',
  'email.viewImage': 'Ver la imagen',
  'email.linkValidity': '(el enlace es válido durante {duration})',
  'email.pdfTooLarge': 'Este PDF es demasiado grande para adjuntarlo a un correo.',
  'email.downloadPdf': 'Descargar el PDF',
  'email.pdfAttached': 'El PDF va adjunto a este correo.',
  'email.copyLink': 'O copia este enlace:',
  'email.sentFrom': 'Enviado desde Toucan',
  'text.colon': ':',

  'report.contents': 'Índice',
  'report.contentsContinued': 'Índice (continuación)',
  'report.storyContinued': '{title} (continuación)',
  'report.cover': 'Portada',
  'report.pageNumber': '{number} / {total}',
};
