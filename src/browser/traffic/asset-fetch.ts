// Fetches a static file from the stack for the asset cache, on the
// worker's kept-alive connections (Upstream): a miss, or the revalidation
// of a stale entry. The body is decoded here (gzip, deflate, br) and handed
// to Chromium as is, so it is bounded: a file larger than the cache would
// keep is given up on, and Chromium fetches it itself.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Upstream } from './upstream.js';

export interface FetchedAsset {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type AssetFetcher = (url: string, headers: Record<string, string>) => Promise<FetchedAsset | null>;

/** Request headers never sent by the cache: hop-by-hop, and credentials (an eligible request has none anyway). */
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'cookie', 'authorization', 'accept-encoding', 'content-length']);
const FETCH_TIMEOUT_MS = 30_000;

/** A fetcher on `upstream`'s connections; null when the body outgrows `maxBytes` (Chromium then fetches it). */
export function upstreamFetcher(upstream: Upstream, maxBytes: number): AssetFetcher {
  return (url, headers) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
      for (const [name, value] of Object.entries(headers)) if (!DROPPED.has(name.toLowerCase())) outgoing[name.toLowerCase()] = value;
      const req = send(
        url,
        { method: 'GET', headers: outgoing, agent: target.protocol === 'https:' ? upstream.httpsAgent : upstream.httpAgent, timeout: FETCH_TIMEOUT_MS },
        (res) => {
          const declared = Number(res.headers['content-length'] ?? 0);
          if (declared > maxBytes) {
            res.destroy();
            resolve(null);
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          const body = decoded(res, res.headers['content-encoding']);
          body.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              res.destroy();
              body.destroy();
              resolve(null);
              return;
            }
            chunks.push(chunk);
          });
          body.once('end', () => {
            const { 'content-encoding': _encoding, 'content-length': _length, 'transfer-encoding': _transfer, ...rest } = res.headers;
            resolve({ status: res.statusCode ?? 502, headers: rest, body: Buffer.concat(chunks) });
          });
          body.once('error', reject);
          res.once('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer from ${target.origin} within ${FETCH_TIMEOUT_MS} ms`)));
      req.once('error', reject);
      req.end();
    });
}

function decoded(res: Readable, encoding: string | undefined): Readable {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(createGunzip());
    case 'deflate':
      return res.pipe(createInflate());
    case 'br':
      return res.pipe(createBrotliDecompress());
    default:
      return res;
  }
}
