// A certificate authority made at test time (openssl), and a server
// certificate it signed for localhost and 127.0.0.1: TLS tests trust it
// through NODE_EXTRA_CA_CERTS, as an operator trusts a private CA. Nothing
// private is committed; the directory goes away with dispose().
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A PEM bundle of this CA and `others` (e.g. the NODE_EXTRA_CA_CERTS the tests already use). */
  bundleWith(others: string | undefined): string;
  dispose(): void;
}

export async function createTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'courier-test-ca-'));
  const file = (name: string) => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', ['req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=courier test CA']);
    await run('openssl', ['req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
    writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('san.ext')]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    bundleWith(others) {
      const bundle = file('bundle.crt');
      writeFileSync(bundle, [others ? readFileSync(others, 'utf8').trimEnd() : '', readFileSync(file('ca.crt'), 'utf8')].filter(Boolean).join('\n'));
      return bundle;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
