// Loopback TLS for `courier demo` and the tests, made at run time: the
// Microsoft identity + Bot Connector stand-in must speak https (MSAL refuses
// an http authority), and no private key ships in the repository or the
// image. The first process that needs it makes a throwaway CA, signs a
// certificate for 127.0.0.1 and localhost with it, and forgets the CA's
// key; every process of this user on this machine then shares the result
// (a 0700 directory), so the stand-in and the workers trusting its CA
// (NODE_EXTRA_CA_CERTS) agree without coordinating.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as Crypto);

/** Where the material lives: COURIER_LOOPBACK_TLS_DIR, or a directory of this user's under the temp dir. */
export const LOOPBACK_TLS_DIR = process.env.COURIER_LOOPBACK_TLS_DIR ?? join(tmpdir(), `courier-loopback-tls-${process.getuid?.() ?? 'user'}`);
/** The CA to trust (NODE_EXTRA_CA_CERTS, read by Node at process start only); exists once ensureLoopbackTls() resolved. */
export const LOOPBACK_CA_PATH = join(LOOPBACK_TLS_DIR, 'ca.crt');

export interface LoopbackTls {
  caPath: string;
  key: string;
  cert: string;
}

const VALID_DAYS = 365;
/** Made again when the certificate has less than this left. */
const RENEW_BEFORE_MS = 7 * 86_400_000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** The CA path, key and certificate, made on first use. */
export async function ensureLoopbackTls(): Promise<LoopbackTls> {
  const existing = readExisting();
  if (existing) return existing;
  mkdirSync(join(LOOPBACK_TLS_DIR, '..'), { recursive: true });
  const staging = mkdtempSync(`${LOOPBACK_TLS_DIR}.new-`);
  const made = await make();
  writeFileSync(join(staging, 'ca.crt'), made.ca, { mode: 0o644 });
  writeFileSync(join(staging, 'server.crt'), made.cert, { mode: 0o644 });
  writeFileSync(join(staging, 'server.key'), made.key, { mode: 0o600 });
  if (existsSync(LOOPBACK_TLS_DIR)) rmSync(LOOPBACK_TLS_DIR, { recursive: true, force: true });
  try {
    renameSync(staging, LOOPBACK_TLS_DIR);
  } catch {
    // Another process put its own in place first: use that one, so everyone agrees.
    rmSync(staging, { recursive: true, force: true });
  }
  const ready = readExisting();
  if (!ready) throw new Error(`could not make the loopback TLS material in ${LOOPBACK_TLS_DIR}`);
  return ready;
}

function readExisting(): LoopbackTls | null {
  try {
    const cert = readFileSync(join(LOOPBACK_TLS_DIR, 'server.crt'), 'utf8');
    const key = readFileSync(join(LOOPBACK_TLS_DIR, 'server.key'), 'utf8');
    if (!existsSync(LOOPBACK_CA_PATH)) return null;
    if (new Date(new X509Certificate(cert).validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return null;
    return { caPath: LOOPBACK_CA_PATH, key, cert };
  } catch {
    return null;
  }
}

async function make(): Promise<{ ca: string; cert: string; key: string }> {
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=courier loopback test CA (tests and demo only)',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }]),
    ],
  });
  // The CA's key was never exportable and goes with this function: the CA can vouch for nothing else.
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${(pkcs8.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { ca: ca.toString('pem'), cert: cert.toString('pem'), key };
}

function randomSerial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
}
