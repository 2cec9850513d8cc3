// Chromium's network namespace, on its own: from inside, an exposed proxy
// port leads to the worker's listener at the same address, any other
// loopback port leads nowhere, and nothing beyond loopback is reachable at
// all. Needs root or CAP_SYS_ADMIN (and `ip`); skipped with a warning otherwise.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsJail, probeConfinement } from '../../src/browser/netns.js';

const confinement = probeConfinement();
if (confinement.level !== 'namespace') console.warn(`netns: ${confinement.why}; Chromium's network namespace is NOT checked`);

/**
 * Runs a node script inside the jail's namespace (as its Chromium wrapper
 * does), returning what it printed. Asynchronous: the bridge it goes through
 * is served by this very process.
 */
async function inside(jail: NetnsJail, script: string): Promise<string> {
  const run = await promisify(execFile)('nsenter', [`--net=${jail.netnsPath}`, '--', process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return `${run.stdout}${run.stderr}`.trim();
}

const tryConnect = (host: string, port: number) => `
const net = require('node:net');
const s = net.createConnection(${port}, ${JSON.stringify(host)});
s.on('connect', () => s.write('hello\\n'));
s.on('data', (d) => { console.log('answer ' + d.toString().trim()); s.destroy(); });
s.on('error', (e) => console.log('error ' + e.code));
s.on('close', () => console.log('closed'));
setTimeout(() => { console.log('timeout'); process.exit(0); }, 5000).unref();`;

describe.runIf(confinement.level === 'namespace')('a network namespace for Chromium', () => {
  let jail: NetnsJail;
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((socket) => socket.on('data', (d) => socket.end(`echo ${d.toString().trim()}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    jail = await NetnsJail.open('/usr/lib/chromium/chromium-headless-shell');
    await jail.expose(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await jail?.close();
    server?.close();
  });

  it('leads an exposed port to the worker’s listener at the same address', async () => {
    expect(await inside(jail, tryConnect('127.0.0.1', port))).toContain('answer echo hello');
  });

  it('leads nowhere from a port that was not exposed (the worker’s others, Redis)', async () => {
    expect(await inside(jail, tryConnect('127.0.0.1', 6379))).toContain('error ECONNREFUSED');
  });

  it('reaches nothing beyond loopback, by TCP or UDP', async () => {
    expect(await inside(jail, tryConnect('10.255.255.53', 53))).toMatch(/error (ENETUNREACH|EHOSTUNREACH)/);
    const udp = await inside(jail, `require('node:dgram').createSocket('udp4').send('x', 5353, '224.0.0.251', (e) => { console.log(e ? 'error ' + e.code : 'sent'); process.exit(0); });`);
    expect(udp).toMatch(/error (ENETUNREACH|EHOSTUNREACH)/);
  });

  it('carries over its bridge only to exposed ports: a connection naming Redis’s port is dropped unanswered', async () => {
    const bridge = createConnection(join(dirname(jail.executablePath), 'bridge.sock'));
    let answer = '';
    bridge.on('data', (d: Buffer) => (answer += d.toString()));
    bridge.write('6379\nPING\r\n');
    await new Promise((resolve) => bridge.on('close', resolve));
    expect(answer).toBe('');
  });
});
