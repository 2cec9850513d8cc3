// courier's own pages of the console (its login, its failures, its view of
// a job), as HTML. Every value is interpolated through hono's `html` tag,
// which escapes it: a job title holding `<script>` shows as text.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Role } from './auth.js';
import type { JobView } from './job-view.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f5f8}
header{background:#1d2330;color:#fff;padding:.7rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#cfd6ff}header .who{margin-left:auto;opacity:.8}
main{max-width:72rem;margin:1.2rem auto;padding:0 1.2rem}
section{background:#fff;border-radius:8px;padding:1rem 1.2rem;margin-bottom:1rem;box-shadow:0 1px 2px #0001}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.05rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ee;vertical-align:top}
.code{font-weight:700;color:#b42318}.state-failed{color:#b42318}.state-completed{color:#067647}
pre{white-space:pre-wrap;word-break:break-word;background:#f4f5f8;padding:.6rem;border-radius:6px;margin:0}
img.shot{max-width:100%;border:1px solid #d0d5dd;border-radius:6px}
button{font:inherit;padding:.4rem 1rem;border-radius:6px;border:0;background:#3b5bdb;color:#fff;cursor:pointer}
input{font:inherit;padding:.4rem;width:22rem;max-width:100%}.muted{color:#667085}.error{color:#b42318}
`;

function layout(title: string, role: Role | null, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · courier</title><style>${STYLE}</style></head>
<body><header><strong>courier</strong>${role === null ? '' : html`<a href="/admin/">Queues (bull-board)</a><a href="/admin/courier/">Failures</a><span class="who">${role === 'write' ? 'may retry' : 'read-only'} · <a href="/admin/logout">log out</a></span>`}</header>
<main>${body}</main></body></html>`;
}

export function loginPage(problem: string | null): Html {
  return layout(
    'Log in',
    null,
    html`<section><h1>courier console</h1>
<p>Give the console's token (<code>ADMIN_TOKEN</code>, or <code>ADMIN_WRITE_TOKEN</code> to also retry jobs).</p>
${problem === null ? '' : html`<p class="error" role="alert">${problem}</p>`}
<form method="post" action="/admin/login"><label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Log in</button></form></section>`,
  );
}

export interface FailureRow {
  queue: string;
  id: string;
  title: string;
  code: string | null;
  finishedAt: string | null;
  scheduleId: string | null;
}

export function failuresPage(rows: FailureRow[], role: Role): Html {
  return layout(
    'Failures',
    role,
    html`<section><h1>Failed jobs</h1>
${rows.length === 0
  ? html`<p class="muted">No failed job is kept (failed jobs are kept JOBS_KEEP_FAILED_DAYS).</p>`
  : html`<table><thead><tr><th>failed at</th><th>queue</th><th>job</th><th>title</th><th>schedule</th><th>code</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td>${r.finishedAt ?? ''}</td><td>${r.queue}</td><td><a href="${jobHref(r.queue, r.id)}">${r.id}</a></td><td>${r.title}</td><td>${r.scheduleId ?? ''}</td><td class="code">${r.code ?? ''}</td></tr>`,
)}</tbody></table>`}
</section>`,
  );
}

export function jobHref(queue: string, id: string): string {
  return `/admin/courier/jobs/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`;
}

export interface JobPageLinks {
  /** Signed link to the timeout screenshot, when there is one. */
  screenshot: string | null;
  /** Signed links to the artifacts of a completed job. */
  artifacts: { path: string; mime: string; url: string }[];
}

function list(title: string, items: string[]): Html | string {
  return items.length === 0 ? '' : html`<h2>${title}</h2><ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

function errorSection(view: JobView, links: JobPageLinks): Html | string {
  const e = view.error;
  if (!e) return '';
  return html`<section aria-label="error"><h2>Why it failed</h2>
<p><span class="code" data-code>${e.code ?? 'UNEXPECTED'}</span>${e.phase ? html` in phase <strong data-phase>${e.phase}</strong>` : ''}</p>
<pre>${e.message}</pre>
${list('Still unmet when it timed out', e.unmet)}${list('Requests in flight', e.inFlight)}${list('Failed requests', e.failedRequests)}${list('Refused (outside the allowed origins)', e.refused)}
${e.page ? html`<p class="muted">Page: ${e.page}${e.consoleErrors !== null ? html`; console errors: ${e.consoleErrors}` : ''}</p>` : ''}
${links.screenshot
  ? html`<h2>The page when it timed out</h2><img class="shot" src="${links.screenshot}" alt="the story as it was when the job timed out (${e.screenshot})">`
  : e.screenshot
    ? html`<p class="muted">Screenshot ${e.screenshot}: no signed link can be made for it.</p>`
    : ''}
</section>`;
}

export function jobPage(view: JobView, role: Role, links: JobPageLinks): Html {
  const timings = Object.entries(view.timings);
  return layout(
    `${view.queue} ${view.id}`,
    role,
    html`<section><h1>${view.queue} job ${view.id}: ${view.title}</h1>
<table><tbody>
<tr><th>state</th><td class="state-${view.state}" data-state>${view.state}</td></tr>
<tr><th>attempts</th><td>${view.attemptsLine}</td></tr>
<tr><th>created</th><td>${view.createdAt}</td></tr>
${view.finishedAt ? html`<tr><th>finished</th><td>${view.finishedAt}</td></tr>` : ''}
${view.scheduleId ? html`<tr><th>schedule</th><td>${view.scheduleId}</td></tr>` : ''}
</tbody></table>
<p><a href="/admin/queue/${encodeURIComponent(view.queue)}?status=${encodeURIComponent(view.state)}">Open in bull-board</a></p>
${view.state === 'failed' && role === 'write'
  ? html`<form method="post" action="${jobHref(view.queue, view.id)}/retry"><button type="submit">Retry this job</button></form>`
  : ''}
</section>
${errorSection(view, links)}
${timings.length === 0 ? '' : html`<section><h2>Timings per phase</h2><table><tbody>${timings.map(([phase, ms]) => html`<tr><th>${phase}</th><td>${ms} ms</td></tr>`)}</tbody></table></section>`}
${view.attempts.length === 0
  ? ''
  : html`<section><h2>Attempts</h2><table><thead><tr><th>#</th><th>started</th><th>outcome</th><th>code</th><th>phase</th><th>took</th></tr></thead><tbody>
${view.attempts.map((a) => html`<tr><td>${a.attempt} of ${a.of}</td><td>${new Date(a.startedAt).toISOString()}</td><td>${a.outcome}</td><td>${a.code ?? ''}</td><td>${a.phase ?? ''}</td><td>${a.ms} ms</td></tr>`)}
</tbody></table></section>`}
${view.deliveries.length === 0
  ? ''
  : html`<section><h2>Deliveries</h2><table><thead><tr><th>channel</th><th>recipient</th><th>status</th><th>receipt</th></tr></thead><tbody>
${view.deliveries.map((d) => html`<tr><td>${d.target}</td><td>${d.recipient}</td><td>${d.status}</td><td>${d.id}${d.at ? html` <span class="muted">${d.at}</span>` : ''}</td></tr>`)}
</tbody></table></section>`}
${links.artifacts.length === 0
  ? ''
  : html`<section><h2>Artifacts</h2>${links.artifacts.map((a) =>
      a.mime.startsWith('image/') ? html`<p><img class="shot" src="${a.url}" alt="${a.path}"></p>` : html`<p><a href="${a.url}">${a.path}</a> (${a.mime})</p>`,
    )}</section>`}
<section><h2>Job data (credentials hidden)</h2><pre>${JSON.stringify(view.data, null, 2)}</pre></section>`,
  );
}
