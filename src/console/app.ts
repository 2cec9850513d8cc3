// The console at /admin/ as one Hono app, in the order a request meets it:
//   security headers on every answer;
//   the login page and its form (same origin only), logout;
//   who is asking: a Bearer header, else the session cookie, else nobody
//     (pages: to the login page; API: 401);
//   writes: refused for the read credential (405, as bull-board's
//     read-only mode answers), refused from another origin when they rest on
//     the cookie (403), limited to retry, promote and remove, and logged with
//     what they touched;
//   API answers (bull-board's JSON) scrubbed of credentials once more, since
//     not everything it shows goes through its formatters (schedule templates);
//   courier's own pages (failures, a job), then bull-board itself.
import { Hono, type Context } from 'hono';
import type { Config } from '../config.js';
import { isQueueName } from '../contracts/index.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { signArtifactUrl } from '../artifacts/signing.js';
import { scrubSecrets } from '../queue/scrub.js';
import { isSameOrigin, makeSession, roleOfBearer, roleOfSession, roleOfToken, sessionCookieHeader, sessionFromCookies, type ConsoleTokens, type Role } from './auth.js';
import { createBoards, BASE_PATH } from './boards.js';
import { explainReason, viewOfJob } from './job-view.js';
import { failuresPage, jobHref, jobPage, loginPage } from './pages.js';
import { createJobsReader, factsOf, type JobsReader } from './reader.js';

export interface ConsoleAppDeps {
  config: Pick<Config, 'redisUrl' | 'queuePrefix' | 'publicUrl'> & Parameters<typeof createJobsReader>[0];
  tokens: ConsoleTokens;
  log: Logger;
  /** Signs the console's links to screenshots and artifacts. */
  linkSecret: string;
  nowSeconds?: () => number;
}

type Env = { Variables: { role: Role; via: 'bearer' | 'session' } };

/** How long a link to a screenshot shown in the console stays valid. */
const LINK_SECONDS = 15 * 60;

/** The writes the console allows at all: bull-board's retry, promote and remove (clean) of a job or of a state, and courier's retry. */
const WRITES: { pattern: RegExp; action: string; fields: ('queue' | 'jobId' | 'status')[] }[] = [
  { pattern: /^\/admin\/api\/queues\/([^/]+)\/(retry|clean)\/([^/]+)$/, action: 'bulk', fields: ['queue', 'status'] },
  { pattern: /^\/admin\/api\/queues\/([^/]+)\/promote$/, action: 'promote all', fields: ['queue'] },
  { pattern: /^\/admin\/api\/queues\/([^/]+)\/([^/]+)\/(retry|clean|promote)$/, action: 'job', fields: ['queue', 'jobId'] },
  { pattern: /^\/admin\/courier\/jobs\/([^/]+)\/([^/]+)\/retry$/, action: 'job', fields: ['queue', 'jobId'] },
];

/** What a write touches, or null when the console does not allow it. */
export function writeOf(method: string, path: string): Record<string, string> | null {
  if (method !== 'PUT' && method !== 'POST') return null;
  for (const { pattern, action, fields } of WRITES) {
    const m = pattern.exec(path);
    if (!m) continue;
    const values = m.slice(1).map((v) => decodeURIComponent(v));
    const touched: Record<string, string> = {};
    fields.forEach((f, i) => (touched[f] = values[i]!));
    const verb = action === 'bulk' ? `${values[1]} all ${values[2]}` : action === 'job' ? (/\/(retry|clean|promote)$/.exec(path)?.[1] ?? 'retry') : action;
    return { action: verb === 'clean' ? 'remove' : verb.replace(/^clean all/, 'remove all'), ...touched };
  }
  return null;
}

export function createConsoleApp(deps: ConsoleAppDeps): { app: Hono<Env>; reader: JobsReader } {
  const { tokens, log } = deps;
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const reader = createJobsReader(deps.config);
  const boards = createBoards(reader.queues);
  const publicOrigin = deps.config.publicUrl?.origin ?? null;
  const app = new Hono<Env>({ strict: false });

  type Header = (name: string) => string | undefined;
  const protocolOf = (header: Header): 'http' | 'https' => (header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http');
  // The Host header, as @hono/node-server put it into the request's URL (a fetch Request keeps no Host header).
  const sameOrigin = (header: Header): boolean =>
    isSameOrigin({ host: header('x-courier-host'), protocol: protocolOf(header), origin: header('origin'), secFetchSite: header('sec-fetch-site') }, publicOrigin);
  const headerOf =
    (c: Context): Header =>
    (name) =>
      name === 'x-courier-host' ? new URL(c.req.url).host : c.req.header(name);
  const signed = (path: string): string => {
    const url = new URL(signArtifactUrl(new URL('http://console.invalid/'), deps.linkSecret, path, nowSeconds() + LINK_SECONDS));
    return `${url.pathname}${url.search}`;
  };

  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    // Signed links in the pages must not leave in a Referer to another site.
    c.header('referrer-policy', 'same-origin'); // (no-referrer would also make the browser send Origin: null on the console's own forms)
  });

  app.get(`${BASE_PATH}/login`, (c) => c.html(loginPage(null)));
  app.post(`${BASE_PATH}/login`, async (c) => {
    if (!sameOrigin(headerOf(c))) return c.text('forbidden: a login must come from the console itself\n', 403);
    const form = await c.req.parseBody();
    const role = typeof form.token === 'string' ? roleOfToken(form.token.trim(), tokens) : null;
    if (role === null) {
      log.warn({ console: 'login', ip: c.req.header('x-forwarded-for') ?? null }, 'console login refused: wrong token');
      return c.html(loginPage('That is not the console token.'), 401);
    }
    log.info({ console: 'login', role }, 'console login');
    c.header('set-cookie', sessionCookieHeader(makeSession(role, tokens, nowSeconds()), protocolOf(headerOf(c)) === 'https'));
    return c.redirect(`${BASE_PATH}/`, 303);
  });
  app.get(`${BASE_PATH}/logout`, (c) => {
    c.header('set-cookie', sessionCookieHeader(null, protocolOf(headerOf(c)) === 'https'));
    return c.redirect(`${BASE_PATH}/login`, 303);
  });

  // Who is asking.
  app.use(`${BASE_PATH}/*`, async (c, next) => {
    const bearer = roleOfBearer(c.req.header('authorization'), tokens);
    const role = bearer ?? roleOfSession(sessionFromCookies(c.req.header('cookie')), tokens, nowSeconds());
    if (role === null) {
      if (c.req.path.startsWith(`${BASE_PATH}/api/`) || c.req.method !== 'GET') {
        c.header('www-authenticate', 'Bearer realm="courier console"');
        return c.json({ error: 'unauthorized: log in at /admin/login, or send Authorization: Bearer <ADMIN_TOKEN>' }, 401);
      }
      return c.redirect(`${BASE_PATH}/login`, 303);
    }
    c.set('role', role);
    c.set('via', bearer ? 'bearer' : 'session');
    await next();
  });

  // Writes.
  app.use(`${BASE_PATH}/*`, async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const role = c.get('role');
    const via = c.get('via');
    if (role !== 'write') return c.json({ error: 'read-only: this credential may look, not change (ADMIN_WRITE_TOKEN may retry, promote and remove)' }, 405);
    if (via === 'session' && !sameOrigin((name) => (name === 'x-courier-host' ? new URL(c.req.url).host : c.req.header(name)))) {
      log.warn({ console: 'write refused', path: c.req.path, origin: c.req.header('origin') ?? null }, 'console write refused: it did not come from the console itself');
      return c.json({ error: 'forbidden: a write must come from the console itself' }, 403);
    }
    const touched = writeOf(c.req.method, c.req.path);
    if (touched === null) return c.json({ error: 'forbidden: the console may retry, promote and remove jobs; nothing else' }, 403);
    await next();
    log.info({ console: 'write', via, ...touched, status: c.res.status }, `console ${touched.action}: ${touched.queue}${touched.jobId ? `:${touched.jobId}` : ''} (HTTP ${c.res.status})`);
  });

  // No credential in any API answer, whatever bull-board reads.
  app.use(`${BASE_PATH}/api/*`, async (c, next) => {
    await next();
    if (!c.res.headers.get('content-type')?.includes('application/json')) return;
    const body = scrubSecrets(await c.res.json());
    c.res = new Response(JSON.stringify(body), { status: c.res.status, headers: c.res.headers });
  });

  app.get(`${BASE_PATH}/courier`, async (c) => {
    const records = await reader.list({ state: 'failed', limit: 100 });
    const rows = records.map(({ queue, job }) => {
      const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
      const title = data.title ?? data.name ?? data.alertId;
      return {
        queue,
        id: job.id ?? '',
        title: typeof title === 'string' ? title : '',
        code: explainReason(job.failedReason ?? '').code,
        finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        scheduleId: job.repeatJobKey ?? null,
      };
    });
    return c.html(failuresPage(rows, c.get('role')));
  });
  app.get(`${BASE_PATH}/courier/jobs/:queue/:id`, async (c) => {
    const queue = c.req.param('queue');
    if (!isQueueName(queue)) return c.text('no such queue\n', 404);
    const [record] = await reader.find(`${queue}:${c.req.param('id')}`);
    if (!record) return c.text('no such job (it may have been removed after JOBS_KEEP_COMPLETED_DAYS / JOBS_KEEP_FAILED_DAYS)\n', 404);
    const view = viewOfJob(factsOf(await reader.details(record)));
    const screenshot = view.error?.screenshot ?? null;
    return c.html(
      jobPage(view, c.get('role'), {
        screenshot: screenshot === null ? null : signed(screenshot),
        artifacts: view.artifacts.map((a) => ({ ...a, url: signed(a.path) })),
      }),
    );
  });
  app.post(`${BASE_PATH}/courier/jobs/:queue/:id/retry`, async (c) => {
    const queue = c.req.param('queue');
    const id = c.req.param('id');
    const [record] = isQueueName(queue) ? await reader.find(`${queue}:${id}`) : [];
    if (!record) return c.text('no such job\n', 404);
    try {
      await reader.retry(record);
    } catch (err) {
      return c.text(`${errorMessage(err)}\n`, 409);
    }
    return c.redirect(jobHref(queue, id), 303);
  });

  app.all(`${BASE_PATH}/*`, (c) => boards[c.get('role')].fetch(c.req.raw));
  return { app, reader };
}
