// Small pieces of the Bot Connector stand-in: its HTTP helpers, the error
// codes Teams answers with, the loopback test CA, and reading a posted card's image.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLoopbackTls, LOOPBACK_CA_PATH } from './loopback-tls.js';

/** The CA that signed the stand-in's certificate: give it to Node as NODE_EXTRA_CA_CERTS (read at process start only). */
export { LOOPBACK_CA_PATH };

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The error code Teams puts in the body with each status (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages). */
export const TEAMS_ERROR_CODES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  413: 'MessageSizeTooBig',
  429: 'Throttled',
  500: 'ServiceError',
  502: 'ServiceError',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export function json(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The first data: URI image anywhere in a card (Image.url), decoded. */
export function findDataUri(card: unknown): { mime: string; data: Buffer } | null {
  if (typeof card === 'string') {
    const m = /^data:(image\/(?:png|jpeg));base64,([A-Za-z0-9+/=]+)$/.exec(card);
    return m ? { mime: m[1]!, data: Buffer.from(m[2]!, 'base64') } : null;
  }
  if (Array.isArray(card)) {
    for (const item of card) {
      const found = findDataUri(item);
      if (found) return found;
    }
    return null;
  }
  if (card !== null && typeof card === 'object') {
    for (const value of Object.values(card)) {
      const found = findDataUri(value);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A value for NODE_EXTRA_CA_CERTS that trusts the loopback CA: its path, or,
 * when another bundle is already set, a temporary file with both (Node takes
 * a single file).
 */
export async function extraCaCertsWithLoopbackCa(current: string | undefined): Promise<string> {
  await ensureLoopbackTls();
  if (!current || current === LOOPBACK_CA_PATH) return LOOPBACK_CA_PATH;
  const bundle = join(mkdtempSync(join(tmpdir(), 'courier-ca-')), 'ca-bundle.crt');
  writeFileSync(bundle, `${readFileSync(current, 'utf8').trimEnd()}\n${readFileSync(LOOPBACK_CA_PATH, 'utf8')}`);
  return bundle;
}
