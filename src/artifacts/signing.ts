// Signed, expiring links to artifacts (CONTRACT §6). Pure functions: the
// HTTP server verifies, delivery signs. A link is
//   <PUBLIC_URL>/artifacts/<path>?expires=<unix seconds>&signature=<hex HMAC-SHA256>
// where the HMAC covers the path and the expiry, so neither can be changed.
import { createHmac, timingSafeEqual } from 'node:crypto';

function signature(secret: string, path: string, expires: number): string {
  return createHmac('sha256', secret).update(`${path}\n${expires}`).digest('hex');
}

/** Encodes each segment of an artifact path for use in a URL. */
export function encodeArtifactPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function signArtifactUrl(publicUrl: URL, secret: string, path: string, expires: number): string {
  const base = publicUrl.toString().replace(/\/+$/, '');
  const query = new URLSearchParams({ expires: String(expires), signature: signature(secret, path, expires) });
  return `${base}/artifacts/${encodeArtifactPath(path)}?${query.toString()}`;
}

export type LinkCheck = 'valid' | 'expired' | 'bad-signature';

/** Checks a link's expiry and signature in constant time. `nowSeconds` is passed in so tests can move the clock. */
export function checkArtifactSignature(secret: string, path: string, expires: string | null, given: string | null, nowSeconds: number): LinkCheck {
  if (expires === null || given === null || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(given)) return 'bad-signature';
  const expected = Buffer.from(signature(secret, path, Number(expires)), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) return 'bad-signature';
  return Number(expires) < nowSeconds ? 'expired' : 'valid';
}
