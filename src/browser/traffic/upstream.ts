// The worker's own way to the stack's servers, shared by everything that
// leaves on a story's behalf: the egress proxy (plain-http requests and
// tunnels) and the asset cache (its misses). Names are resolved here, and
// only for hosts the policy already allowed; connections are kept alive and
// reused across jobs (a page's next request to the frontend does not pay a
// new TCP or TLS handshake).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';

/** Resolves a host name to one address; injectable so tests can map names to loopback without touching the system. */
export type Resolve = (host: string) => Promise<{ address: string; family: 4 | 6 }>;

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, (err, address, family) => (err ? reject(err) : resolve({ address, family: family === 6 ? 6 : 4 })));
  });

/** A name → address map in front of another resolver (tests: `{ 'front.test': '127.0.0.1' }`). */
export function mappedResolve(map: Record<string, string>, fallback: Resolve = systemResolve): Resolve {
  return (host) => {
    const address = map[host.toLowerCase()];
    if (address !== undefined) return Promise.resolve({ address, family: isIP(address) === 6 ? 6 : 4 });
    return fallback(host);
  };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** How long an idle kept-alive connection to a stack server stays open. */
const KEEP_ALIVE_MS = 30_000;
/** Connect timeout to a stack server (the page's own budget bounds the rest). */
const CONNECT_TIMEOUT_MS = 10_000;

export class Upstream {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;

  constructor(readonly resolve: Resolve = systemResolve) {
    // Node's agents take a dns.lookup-shaped function; adapt ours.
    const lookup = (host: string, options: { all?: boolean }, callback: LookupCallback) => {
      resolve(host).then(
        ({ address, family }) => (options.all ? callback(null, [{ address, family }]) : callback(null, address, family)),
        (err: NodeJS.ErrnoException) => callback(err, ''),
      );
    };
    const common = { keepAlive: true, keepAliveMsecs: 1000, timeout: KEEP_ALIVE_MS, maxFreeSockets: 16, scheduling: 'lifo' as const, lookup };
    this.httpAgent = new HttpAgent(common);
    this.httpsAgent = new HttpsAgent(common);
  }

  /** A TCP connection to host:port (for a tunnel), resolved through `resolve`. */
  async connect(host: string, port: number): Promise<Socket> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const { address } = isIP(bare) ? { address: bare } : await this.resolve(bare);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address, port });
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', reject);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
