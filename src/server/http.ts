// The worker's HTTP port (CONTRACT §6), on node:http:
//   GET /healthz    the process is alive (no dependency is checked)
//   GET /readyz     every readiness check passes (Redis answers, Chromium up): 200, else 503;
//                   the body also says what each check found (e.g. Redis' topology and master)
//   GET /metrics    Prometheus text (with METRICS_TOKEN set, only for `Authorization: Bearer <it>`)
//   GET /artifacts/<path>?expires=…&signature=…   a rendered file, only with a valid,
//                   unexpired HMAC; 403 for a bad, expired or escaping link; 404 if gone
//   /admin/…        the console (src/console/), only when one is given (ADMIN_TOKEN set); else 404
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sep } from 'node:path';
import { mimeOfFileName } from '../artifacts/formats.js';
import { resolveInside } from '../artifacts/store.js';
import type { Logger } from '../log.js';
import { checkArtifactSignature } from '../artifacts/signing.js';
import type { Metrics } from './metrics.js';

/** What a readiness check found: usable or not, and facts for people (shown in the /readyz body under the check's name). */
export interface ReadinessOutcome {
  ok: boolean;
  detail?: Record<string, unknown>;
}

/** A named readiness check: true (or { ok: true }) when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean | ReadinessOutcome> | boolean | ReadinessOutcome;

/** The console at /admin/ (src/console/, a floor above): handed in only when ADMIN_TOKEN is set. */
export interface AdminConsole {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
  /** The key the console signs its /artifacts/ links with: ARTIFACT_LINK_SECRET, or its own when that is unset. */
  readonly linkSecret: string;
}

export interface HttpServerDeps {
  log: Logger;
  metrics: Metrics;
  /** e.g. { redis: …, chromium: … }; /readyz is 200 only when all pass. */
  readiness: Record<string, ReadinessCheck>;
  /** Absolute artifacts directory. */
  artifactsRoot: string;
  /** ARTIFACT_LINK_SECRET; null turns /artifacts off (404). */
  linkSecret: string | null;
  /** Seconds since the epoch (tests move the clock). */
  nowSeconds?: () => number;
  /** METRICS_TOKEN: /metrics answers only requests bearing it; null leaves it open. */
  metricsToken?: string | null;
  /** The console; without it /admin/ is 404, as if it did not exist. */
  admin?: AdminConsole | null;
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

const ARTIFACTS_PREFIX = '/artifacts/';

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
}

export function createHttpHandler(deps: HttpServerDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  async function readyz(res: ServerResponse): Promise<void> {
    const results = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]): Promise<[string, ReadinessOutcome]> => {
        try {
          const outcome = await check();
          return [name, typeof outcome === 'boolean' ? { ok: outcome } : outcome];
        } catch {
          return [name, { ok: false }];
        }
      }),
    );
    const ready = results.every(([, outcome]) => outcome.ok);
    const checks = Object.fromEntries(results.map(([name, outcome]) => [name, outcome.ok ? 'ok' : 'fail']));
    const details = Object.fromEntries(results.flatMap(([name, outcome]) => (outcome.detail ? [[name, outcome.detail]] : [])));
    send(res, ready ? 200 : 503, `${JSON.stringify({ status: ready ? 'ready' : 'not ready', checks, ...details })}\n`, 'application/json');
  }

  async function artifact(req: IncomingMessage, res: ServerResponse, rawPath: string, url: URL): Promise<void> {
    if (deps.linkSecret === null) return send(res, 404, 'signed artifact links are off (no ARTIFACT_LINK_SECRET)\n');
    let path: string;
    try {
      // From the raw request path: URL parsing would quietly resolve `..`
      // segments, and a traversal attempt must be refused, not rewritten.
      path = rawPath.slice(ARTIFACTS_PREFIX.length).split('/').map(decodeURIComponent).join('/');
    } catch {
      return send(res, 403, 'forbidden: malformed artifact path\n');
    }
    const full = resolveInside(deps.artifactsRoot, path);
    if (full === null) return send(res, 403, 'forbidden: the path leaves the artifacts directory\n');
    const check = checkArtifactSignature(deps.linkSecret, path, url.searchParams.get('expires'), url.searchParams.get('signature'), nowSeconds());
    if (check === 'expired') return send(res, 403, 'forbidden: this link has expired; ask for the report or image again\n');
    if (check !== 'valid') return send(res, 403, 'forbidden: invalid signature\n');

    let size: number;
    try {
      // A symlink inside the directory must not lead outside it either.
      const [real, realRoot] = await Promise.all([realpath(full), realpath(deps.artifactsRoot)]);
      if (!real.startsWith(realRoot + sep)) return send(res, 403, 'forbidden: the path leaves the artifacts directory\n');
      const info = await stat(real);
      if (!info.isFile()) return send(res, 404, 'not found\n');
      size = info.size;
    } catch {
      return send(res, 404, 'not found (it may have been deleted after ARTIFACTS_TTL_DAYS)\n');
    }
    const fileName = full.slice(full.lastIndexOf(sep) + 1);
    res.writeHead(200, {
      'content-type': mimeOfFileName(full) ?? 'application/octet-stream',
      'content-length': size,
      'content-disposition': `inline; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'private, max-age=300',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(full);
    stream.on('error', (err) => {
      deps.log.warn({ err, path }, 'artifact read failed');
      res.destroy(err);
    });
    stream.pipe(res);
  }

  return async (req, res) => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const url = new URL(req.url ?? '/', 'http://courier.local');
    // The console takes its own methods (its writes are PUT and POST) and checks its own credentials.
    if (rawPath === '/admin' || rawPath.startsWith('/admin/')) {
      if (deps.admin) return deps.admin.handle(req, res);
      return send(res, 404, 'not found\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    if (rawPath === '/healthz') return send(res, 200, 'ok\n');
    if (rawPath === '/readyz') return readyz(res);
    if (rawPath === '/metrics') {
      if (deps.metricsToken && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
        res.setHeader('www-authenticate', 'Bearer realm="courier metrics"');
        return send(res, 401, 'unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>\n');
      }
      const { contentType, body } = await deps.metrics.render();
      return send(res, 200, body, contentType);
    }
    if (rawPath.startsWith(ARTIFACTS_PREFIX)) return artifact(req, res, rawPath, url);
    send(res, 404, 'not found: try /healthz, /readyz, /metrics or a signed /artifacts/ link\n');
  };
}

/** Compares in constant time (over hashes, so the lengths do not show either). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** Listens on `port` (0: any free port, for tests); resolves once bound. */
export async function startHttpServer(deps: HttpServerDeps, { port, host = '0.0.0.0' }: { port: number; host?: string }): Promise<RunningHttpServer> {
  const handler = createHttpHandler(deps);
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      deps.log.error({ err, url: req.url?.split('?')[0] }, 'HTTP handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => closeHttpServer(server),
  };
}

/** Stops listening and ends every connection at once, keep-alive ones included (close() alone waits for them). */
export function closeHttpServer(server: Pick<Server, 'close' | 'closeAllConnections'>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
