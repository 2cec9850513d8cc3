// Chromium in a network namespace of its own, where the worker may make one
// (root, or CAP_SYS_ADMIN): the operating system's wall behind Chromium's
// own switches. Inside, the only interface is loopback, so no mDNS, STUN,
// DNS or connection of any Chromium process can leave, whatever a switch
// misses or a future Chromium adds (issue 23).
//
// The egress proxy stays in the worker. A small relay process, started in
// the new namespace, listens there on 127.0.0.1 at the same port as each
// proxy listener the worker exposes, and carries every connection over a
// Unix socket (the file system is shared; the network is not) to the
// worker, which connects it to that listener. So Chromium's
// `--proxy-server=http://127.0.0.1:<port>` means the same listener inside
// as outside, and only the exposed ports lead anywhere.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

/** How far the network confinement goes on this machine, for logs and `courier doctor`. */
export type Confinement = { level: 'namespace' } | { level: 'switches'; why: string };

/** Pure enough: whether `unshare --net` and `ip` work for this process (they need root or CAP_SYS_ADMIN). */
export function probeConfinement(): Confinement {
  const unshare = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
  if (unshare.error) return { level: 'switches', why: `unshare or ip is missing (${unshare.error.message})` };
  if (unshare.status !== 0) return { level: 'switches', why: `the worker may not make a network namespace (${unshare.stderr.trim().split('\n')[0] ?? `exit ${unshare.status}`}); it needs root or CAP_SYS_ADMIN` };
  return { level: 'namespace' };
}

/**
 * The relay, run by the worker's own node inside the new namespace. It
 * brings loopback up, then for each port the worker writes on its stdin
 * (`<port>\n`) listens on 127.0.0.1:<port> and answers `ok <port>` (or
 * `error <port> <code>`); each connection goes to the bridge socket,
 * preceded by its port and a newline. It exits when the worker closes its stdin.
 */
const RELAY = String.raw`
const net = require('node:net');
require('node:child_process').execFileSync('ip', ['link', 'set', 'lo', 'up']);
const bridge = process.env.COURIER_BRIDGE;
const say = (line) => process.stdout.write(line + '\n');
function expose(port) {
  const server = net.createServer((inside) => {
    const out = net.createConnection(bridge);
    out.write(port + '\n'); // queued before anything piped below
    inside.pipe(out).pipe(inside);
    inside.on('error', () => out.destroy());
    out.on('error', () => inside.destroy());
    inside.on('close', () => out.destroy());
    out.on('close', () => inside.destroy());
  });
  server.on('error', (err) => say('error ' + port + ' ' + err.code));
  server.listen(port, '127.0.0.1', () => say('ok ' + port));
}
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
    const port = Number(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    if (Number.isInteger(port) && port > 0 && port < 65536) expose(port);
  }
});
process.stdin.on('end', () => process.exit(0));
say('ready');
`;

export class NetnsJail {
  /** The executable to launch instead of Chromium: enters the namespace, then execs it. */
  readonly executablePath: string;
  /** The namespace, as `nsenter --net=` takes it. */
  readonly netnsPath: string;
  private readonly exposed = new Set<number>();
  private readonly waiting = new Map<number, (error: string | null) => void>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly dir: string,
    private readonly relay: ChildProcess,
    private readonly bridge: Server,
    chromiumPath: string,
  ) {
    // Same file name as Chromium's, so it is started the same way (the headless shell is known by its name).
    this.executablePath = join(dir, basename(chromiumPath));
    this.netnsPath = `/proc/${relay.pid}/ns/net`;
    writeFileSync(this.executablePath, `#!/bin/sh\nexec nsenter --net=${this.netnsPath} -- ${shellQuote(chromiumPath)} "$@"\n`, { mode: 0o700 });
  }

  /** A new namespace with its relay, for one launch of `chromiumPath`. */
  static async open(chromiumPath: string): Promise<NetnsJail> {
    const dir = mkdtempSync(join(tmpdir(), 'courier-netns-'));
    const bridgePath = join(dir, 'bridge.sock');
    let jail: NetnsJail | null = null;
    // Nothing connects before the relay says it is ready, by which time the jail exists.
    const bridge = createServer((socket) => (jail ? jail.carry(socket) : socket.destroy()));
    try {
      await new Promise<void>((resolve, reject) => bridge.once('error', reject).listen(bridgePath, resolve));
      const relay = spawn('unshare', ['--net', '--', process.execPath, '-e', RELAY], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', COURIER_BRIDGE: bridgePath }, stdio: ['pipe', 'pipe', 'pipe'] });
      jail = new NetnsJail(dir, relay, bridge, chromiumPath);
      await jail.started();
      return jail;
    } catch (err) {
      bridge.close();
      jail?.relay.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Makes a proxy listener (`http://127.0.0.1:<port>`) reachable at the same address inside the namespace. */
  async expose(proxyServer: string): Promise<void> {
    const port = Number(new URL(proxyServer).port);
    if (this.exposed.has(port)) return;
    this.exposed.add(port);
    const answered = new Promise<string | null>((resolve) => this.waiting.set(port, resolve));
    this.relay.stdin?.write(`${port}\n`);
    const error = await answered;
    if (error) throw new Error(`the network namespace's relay could not listen on port ${port}: ${error}`);
  }

  async close(): Promise<void> {
    this.relay.stdin?.end();
    this.relay.kill('SIGKILL');
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.bridge.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private started(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let stderr = '';
      this.relay.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      this.relay.once('error', reject);
      this.relay.once('exit', (code) => {
        reject(new Error(`the network namespace's relay stopped (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`));
        for (const settle of this.waiting.values()) settle('the relay stopped');
      });
      createInterface({ input: this.relay.stdout! }).on('line', (line) => {
        if (line === 'ready') resolve();
        const [word, port, code] = line.split(' ');
        const settle = this.waiting.get(Number(port));
        if (!settle) return;
        this.waiting.delete(Number(port));
        settle(word === 'ok' ? null : (code ?? 'failed'));
      });
    });
  }

  /** A connection from inside: its first line names the port; only an exposed one is carried on. */
  private carry(inside: Socket): void {
    this.sockets.add(inside);
    inside.once('close', () => this.sockets.delete(inside));
    inside.on('error', () => inside.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(0x0a);
      if (newline < 0) {
        if (head.length > 16) inside.destroy();
        return;
      }
      inside.off('data', onData);
      const port = Number(head.subarray(0, newline).toString());
      if (!this.exposed.has(port)) {
        inside.destroy();
        return;
      }
      const out = createConnection(port, '127.0.0.1');
      this.sockets.add(out);
      out.once('close', () => this.sockets.delete(out));
      const rest = head.subarray(newline + 1);
      if (rest.length > 0) out.write(rest);
      inside.pipe(out).pipe(inside);
      out.on('error', () => inside.destroy());
      inside.on('close', () => out.destroy());
      out.on('close', () => inside.destroy());
    };
    inside.on('data', onData);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
