// A small Toucan-like stack on loopback, used by `courier demo` and by the
// tests: a frontend serving story pages (demo/site/), a backend that checks
// the bearer token and answers data and KPI calls, and a "forbidden" origin
// that records anything that reaches it (it never should).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fromRoot } from '../paths.js';
import { closeHttpServer } from '../server/http.js';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  acceptLanguage: string | undefined;
  at: number;
}

export interface KpiState {
  value: unknown;
  /** When set, the KPI endpoint answers this HTTP status instead of the value. */
  status?: number;
}

export interface ToucanStackOptions {
  /** The token the backend accepts (Authorization: Bearer …). */
  token?: string;
  frontendPort?: number;
  backendPort?: number;
  host?: string;
}

const DATASETS: Record<string, { title: string; subtitle: string; series: { label: string; value: number }[] }> = {
  sales: {
    title: 'Sales by region',
    subtitle: 'Q3, in k€',
    series: [
      { label: 'North', value: 420 },
      { label: 'South', value: 310 },
      { label: 'East', value: 515 },
      { label: 'West', value: 260 },
      { label: 'Central', value: 380 },
    ],
  },
  revenue: {
    title: 'Monthly revenue',
    subtitle: '2026, in k€',
    series: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug'].map((label, i) => ({ label, value: 200 + ((i * 37) % 90) + i * 15 })),
  },
  churn: {
    title: 'Churn by plan',
    subtitle: 'last 90 days, accounts',
    series: [
      { label: 'Free', value: 95 },
      { label: 'Team', value: 41 },
      { label: 'Business', value: 17 },
      { label: 'Enterprise', value: 4 },
    ],
  },
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The backend's CORS answer: the story page (on the frontend's origin) calls it with a bearer token. */
export function backendCors(frontendUrl: string): Record<string, string> {
  return {
    'access-control-allow-origin': frontendUrl,
    'access-control-allow-headers': 'Authorization, Content-Type',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    vary: 'Origin',
  };
}

export class ToucanStack {
  readonly token: string;
  readonly frontendRequests: RecordedRequest[] = [];
  readonly backendRequests: RecordedRequest[] = [];
  readonly forbiddenRequests: RecordedRequest[] = [];
  private readonly kpis = new Map<string, KpiState>();
  private readonly servers: Server[] = [];
  private readonly host: string;
  frontendUrl = '';
  backendUrl = '';
  forbiddenOrigin = '';

  private constructor(options: ToucanStackOptions) {
    this.token = options.token ?? 'demo-token';
    this.host = options.host ?? '127.0.0.1';
  }

  static async start(options: ToucanStackOptions = {}): Promise<ToucanStack> {
    const stack = new ToucanStack(options);
    stack.backendUrl = await stack.listen(options.backendPort ?? 0, (req, res) => stack.backend(req, res));
    stack.forbiddenOrigin = await stack.listen(0, (req, res) => stack.forbidden(req, res));
    stack.frontendUrl = await stack.listen(options.frontendPort ?? 0, (req, res) => stack.frontend(req, res));
    return stack;
  }

  /** Sets what the backend's KPI endpoint `/kpi/<name>` answers (alerts read it). */
  /** While held, data calls get no answer (a backend stuck on a slow query): stories stay busy until release. */
  holdData(hold: boolean): void {
    this.dataHeld = hold;
    if (!hold) for (const release of this.heldCalls.splice(0)) release();
  }

  private dataHeld = false;
  private readonly heldCalls: (() => void)[] = [];

  setKpi(name: string, state: KpiState): void {
    this.kpis.set(name, state);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map(closeHttpServer));
  }

  private async listen(port: number, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Promise<string> {
    const server = createServer((req, res) => {
      Promise.resolve(handler(req, res)).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    return `http://${this.host}:${bound}`;
  }

  private record(list: RecordedRequest[], req: IncomingMessage): URL {
    const url = new URL(req.url ?? '/', 'http://stack.local');
    list.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization, acceptLanguage: req.headers['accept-language'], at: Date.now() });
    return url;
  }

  private async frontend(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = this.record(this.frontendRequests, req);
    if (url.pathname === '/scripts/tc-params.js') {
      const params = `window.API_BASEROUTE = ${JSON.stringify(this.backendUrl)};\nwindow.TC_PARAMS = ${JSON.stringify({ forbiddenOrigin: this.forbiddenOrigin })};\n`;
      res.writeHead(200, { 'content-type': MIME['.js'], 'cache-control': 'no-store' }).end(params);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') return this.sendFile(res, 'index.html');
    if (url.pathname === '/demo' || url.pathname === '/story') return this.sendFile(res, 'story.html');
    if (url.pathname.startsWith('/static/')) return this.sendFile(res, url.pathname.slice('/static/'.length));
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private async sendFile(res: ServerResponse, relative: string): Promise<void> {
    const safe = normalize(relative).replace(/^(\.\.[/\\])+/, '');
    const type = MIME[extname(safe)];
    if (!type) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(fromRoot('demo', 'site'), safe));
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  }

  private async backend(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = this.record(this.backendRequests, req);
    const cors = backendCors(this.frontendUrl);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };

    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    if (url.pathname === '/') {
      json(200, { service: 'toucan-backend (demo stack)' });
      return;
    }
    if (url.pathname === '/poll') {
      json(200, {});
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      json(401, { error: 'missing or invalid bearer token' });
      return;
    }
    const [, kind, name = ''] = url.pathname.split('/');
    const delay = Math.min(Number(url.searchParams.get('delay') ?? 0) || 0, 60_000);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));

    if (kind === 'data') {
      if (this.dataHeld) await new Promise<void>((release) => this.heldCalls.push(release));
      const dataset = DATASETS[decodeURIComponent(name)] ?? DATASETS.sales;
      json(200, dataset);
      return;
    }
    if (kind === 'private') {
      json(401, { error: 'this story is not shared with you' });
      return;
    }
    if (kind === 'kpi') {
      await drain(req);
      const kpi = this.kpis.get(decodeURIComponent(name));
      if (!kpi) return json(404, { error: `no KPI named ${name}` });
      if (kpi.status !== undefined) return json(kpi.status, { error: `KPI ${name} answers ${kpi.status}` });
      json(200, { items: [{ name, value: kpi.value }] });
      return;
    }
    json(404, { error: 'not found' });
  }

  private forbidden(req: IncomingMessage, res: ServerResponse): void {
    this.record(this.forbiddenRequests, req);
    res.writeHead(200, { 'content-type': MIME['.js'] }).end('document.body.dataset.reachedForbiddenOrigin = "yes";');
  }
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // the KPI endpoint ignores the body; reading it keeps the socket healthy
  }
}
