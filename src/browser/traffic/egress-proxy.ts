// The egress proxy: the one way out of every story page. Chromium is
// launched with a catch-all --proxy-server that refuses everything, and
// each job's browser context gets a proxy listener of its own, so whatever
// a story starts (the page, its frames and workers, shared and service
// workers, popups, WebSockets, TURN over TCP; with non-proxied UDP off,
// WebRTC has no other way) leaves through here, and every refusal is the
// job's. Loopback goes through it too (`<-loopback>`).
//
// Plain http (absolute-form requests) is forwarded to allowed origins with
// kept-alive connections; CONNECT is tunnelled only to the host and port of
// an allowed origin; everything else is answered 403 and reported. Names are
// resolved here, after the decision: a refused host is never looked up.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { decide, decideTunnel, type NetworkPolicy } from '../network-policy.js';
import type { ProxyRefusal } from './refusals.js';
import type { Upstream } from './upstream.js';

/** Who a listener answers for: a job's policy, and where its refusals go. */
export interface EgressBinding {
  policy: NetworkPolicy;
  onRefused(refusal: ProxyRefusal): void;
  /** A request or tunnel the policy allowed that could not reach its server (for the job's diagnostics). */
  onUpstreamError?(target: string, message: string): void;
}

/** A header on every answer the proxy makes itself, so the page's diagnostics can tell a refusal from a server's 403. */
export const REFUSED_HEADER = 'x-courier-egress';

/** On the proxy's 502, why the server could not be reached, named as Chromium names it. */
export const UNREACHABLE_HEADER = 'x-courier-egress-error';

/** Chromium's name for a connection error, so messages read as they did without the proxy. */
export function chromiumErrorName(err: NodeJS.ErrnoException): string {
  const names: Record<string, string> = {
    ECONNREFUSED: 'net::ERR_CONNECTION_REFUSED',
    ENOTFOUND: 'net::ERR_NAME_NOT_RESOLVED',
    EAI_AGAIN: 'net::ERR_NAME_NOT_RESOLVED',
    ETIMEDOUT: 'net::ERR_CONNECTION_TIMED_OUT',
    ECONNRESET: 'net::ERR_CONNECTION_RESET',
    EHOSTUNREACH: 'net::ERR_ADDRESS_UNREACHABLE',
    ENETUNREACH: 'net::ERR_ADDRESS_UNREACHABLE',
  };
  return `${names[err.code ?? ''] ?? 'net::ERR_FAILED'} (${err.message})`;
}

/** Headers that belong to one hop (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export class EgressListener {
  private binding: EgressBinding | null = null;
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly server: Server,
    private readonly upstream: Upstream,
    /** Refusals before a job is bound (a context made ahead makes none) or on the catch-all. */
    private readonly unbound: (refusal: ProxyRefusal) => void,
  ) {
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('connect', (req, socket, head) => this.onConnect(req, socket, head));
    // An Upgrade in absolute form (a WebSocket Chromium did not tunnel): refused like any unknown way out.
    server.on('upgrade', (req, socket) => {
      this.refuse({ kind: 'http', url: req.url ?? '' });
      socket.end(`HTTP/1.1 403 Forbidden\r\n${REFUSED_HEADER}: refused\r\nconnection: close\r\n\r\n`);
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** The value for a browser context's `proxyServer`. */
  get proxyServer(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  bind(binding: EgressBinding | null): void {
    this.binding = binding;
  }

  async close(): Promise<void> {
    this.binding = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private refuse(refusal: ProxyRefusal): void {
    if (this.binding) this.binding.onRefused(refusal);
    else this.unbound(refusal);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const policy = this.binding?.policy;
    // Only absolute-form http:// requests are proxy requests; anything else is not ours to serve.
    const decision = policy && /^http:\/\//i.test(url) ? decide(url, policy) : { action: 'block' as const, reason: 'not an http proxy request' };
    if (decision.action === 'block') {
      this.refuse({ kind: 'http', url });
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', [REFUSED_HEADER]: 'refused', connection: 'close' });
      res.end(`refused by courier's network policy: ${decision.reason}\n`);
      req.resume();
      return;
    }
    this.forward(req, res, new URL(url));
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
    const upstream = httpRequest(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: forwardHeaders(req.headers, target.host),
        agent: this.upstream.httpAgent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardHeaders(answer.headers));
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      const reason = chromiumErrorName(err);
      this.binding?.onUpstreamError?.(target.origin, reason);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', [REFUSED_HEADER]: 'unreachable', [UNREACHABLE_HEADER]: reason.replace(/[^\x20-\x7e]/g, '?'), connection: 'close' });
      res.end(`courier could not reach ${target.origin}: ${reason}\n`);
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private onConnect(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const hostPort = req.url ?? '';
    const policy = this.binding?.policy;
    const decision = policy ? decideTunnel(hostPort, policy) : { action: 'block' as const, reason: 'no job is bound to this listener' };
    client.on('error', () => undefined);
    if (decision.action === 'block') {
      this.refuse({ kind: 'tunnel', hostPort });
      client.end(`HTTP/1.1 403 Forbidden\r\n${REFUSED_HEADER}: refused\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const split = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, split);
    const port = Number(hostPort.slice(split + 1));
    this.upstream.connect(host, port).then(
      (server) => {
        if (client.destroyed) {
          server.destroy();
          return;
        }
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) server.write(head);
        server.on('error', () => client.destroy());
        client.on('close', () => server.destroy());
        server.on('close', () => client.destroy());
        server.pipe(client);
        client.pipe(server);
      },
      (err: NodeJS.ErrnoException) => {
        this.binding?.onUpstreamError?.(hostPort, chromiumErrorName(err));
        client.end(`HTTP/1.1 502 Bad Gateway\r\n${REFUSED_HEADER}: unreachable\r\ncontent-length: 0\r\n\r\n`);
      },
    );
  }
}

/** Opens listeners on 127.0.0.1: one per browser context, and the browser-wide catch-all. */
export async function openEgressListener(upstream: Upstream, unbound: (refusal: ProxyRefusal) => void): Promise<EgressListener> {
  const server = createServer();
  // Chromium keeps its proxy connections open; the listener's close() ends them.
  server.keepAliveTimeout = 60_000;
  const listener = new EgressListener(server, upstream, unbound);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return listener;
}

function forwardHeaders(headers: IncomingHttpHeaders, host?: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = new Set((String(headers.connection ?? '')).toLowerCase().split(',').map((s) => s.trim()));
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  if (host) out.host = host;
  return out;
}
