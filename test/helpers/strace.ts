// Chromium under `strace -f`: every connection, datagram and name lookup of
// every Chromium process, seen as the kernel was asked for it, so an attempt
// counts even where this machine could not complete it.
//
// A wrapper script stands in for the Chromium executable (same file name,
// so courier starts it the same way: the headless shell is recognised by its
// name) and execs the real one under strace, writing one trace file per
// wrapper. `-yy` decorates each socket with its protocol and addresses, so a
// send on a connected socket still shows where it goes.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Why strace cannot be used here, or null when it can (installed, and ptrace allowed). */
export function straceUnavailable(): string | null {
  const run = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (run.error) return `strace is not installed (${run.error.message}); setup.sh --dev installs it`;
  if (run.status !== 0) return `strace cannot trace here (ptrace not allowed?): ${run.stderr.trim().split('\n')[0] ?? run.status}`;
  return null;
}

export class TracedChromium {
  /** The executable to give courier (CHROMIUM_PATH) or puppeteer. */
  readonly path: string;
  readonly logFile: string;

  constructor(realPath: string, dir: string) {
    mkdirSync(dir, { recursive: true });
    this.logFile = join(dir, 'trace.log');
    this.path = join(dir, basename(realPath));
    writeFileSync(this.logFile, '');
    writeFileSync(this.path, `#!/bin/sh\nexec strace -f -qq -yy -s 256 -e trace=connect,sendto,sendmsg,sendmmsg -o ${JSON.stringify(this.logFile)} ${JSON.stringify(realPath)} "$@"\n`);
    chmodSync(this.path, 0o755);
  }

  /** Where the trace ends now: what comes after belongs to what runs next. */
  mark(): number {
    return statSync(this.logFile).size;
  }

  /** The network events traced since `mark` (the whole trace without one). */
  eventsSince(mark = 0): NetEvent[] {
    return networkEvents(readFileSync(this.logFile).subarray(mark).toString('latin1'));
  }
}

export interface NetEvent {
  /** connection: a TCP connect; datagram: a UDP (or raw) send; route-probe: a connect of a UDP socket, which sends nothing. */
  kind: 'connection' | 'datagram' | 'route-probe';
  host: string;
  port: number;
  /** The traced line, for messages (and the payload of a datagram). */
  line: string;
}

const SYSCALL = /^\d+\s+(connect|sendto|sendmsg|sendmmsg)\(\d+<(TCP|TCPv6|UDP|UDPv6|UDPLITE|UDPLITEv6|RAW|RAWv6|PING|PINGv6):\[([^\]]*)\]>/;
const IPV4 = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/;
const IPV6 = /sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"/;

/** Pure: the inet connections and datagrams of a `strace -yy` trace. Unix sockets and netlink are not network. */
export function networkEvents(trace: string): NetEvent[] {
  const events: NetEvent[] = [];
  for (const line of trace.split('\n')) {
    const match = SYSCALL.exec(line);
    if (!match) continue;
    const [, call = '', proto = '', addresses = ''] = match;
    const explicit = IPV4.exec(line) ?? IPV6.exec(line);
    let host: string | null = null;
    let port = 0;
    if (explicit) {
      port = Number(explicit[1]);
      host = explicit[2] ?? null;
    } else {
      // A connected socket: `local->remote`, remote as `a.b.c.d:p` or `[v6]:p`.
      const remote = /->\[?([^\]]+?)\]?:(\d+)$/.exec(addresses);
      if (remote) {
        host = remote[1] ?? null;
        port = Number(remote[2]);
      }
    }
    if (host === null) continue;
    const stream = proto.startsWith('TCP');
    if (stream && call !== 'connect') continue; // the connect said it all
    events.push({ kind: stream ? 'connection' : call === 'connect' ? 'route-probe' : 'datagram', host, port, line });
  }
  return events;
}

/** Pure: the loopback addresses (127/8, ::1, and 127/8 mapped into IPv6). */
export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || /^::ffff:127\./i.test(host);
}

/**
 * What a Chromium run under courier must not do: any connection except to
 * one of the job's proxy ports on loopback, and any datagram at all (no UDP
 * leaves by design, not even on loopback). A route probe (connect of a UDP
 * socket: no packet) is not a leak; see `routeProbes`.
 */
export function leaks(events: readonly NetEvent[], proxyPorts: ReadonlySet<number>): NetEvent[] {
  return events.filter((e) => (e.kind === 'connection' ? !(isLoopback(e.host) && proxyPorts.has(e.port)) : e.kind === 'datagram'));
}

/** Name lookups: DNS (port 53) and multicast DNS (5353), by datagram or TCP. */
export function dnsQueries(events: readonly NetEvent[]): NetEvent[] {
  return events.filter((e) => e.kind !== 'route-probe' && (e.port === 53 || e.port === 5353));
}

/** Connects of UDP sockets beyond loopback: Chromium asking the kernel for a route, no packet sent. */
export function routeProbes(events: readonly NetEvent[]): NetEvent[] {
  return events.filter((e) => e.kind === 'route-probe' && !isLoopback(e.host));
}
