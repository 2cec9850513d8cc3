import { describe, expect, it } from 'vitest';
import { checkArtifactSignature, signArtifactUrl } from '../../src/artifacts/signing.js';

const secret = 'a-long-enough-test-secret';
const publicUrl = new URL('https://courier.corp.com/');

function parts(link: string) {
  const url = new URL(link);
  const path = decodeURIComponent(url.pathname.replace(/^\/artifacts\//, ''));
  return { path, expires: url.searchParams.get('expires'), signature: url.searchParams.get('signature') };
}

describe('signed artifact links', () => {
  const link = signArtifactUrl(publicUrl, secret, 'screenshot/2026-11-20/42.png', 2_000_000_000);

  it('verifies an untouched link before it expires', () => {
    const { path, expires, signature } = parts(link);
    expect(link.startsWith('https://courier.corp.com/artifacts/screenshot/2026-11-20/42.png?')).toBe(true);
    expect(checkArtifactSignature(secret, path, expires, signature, 1_999_999_999)).toBe('valid');
  });

  it('refuses an expired, tampered or foreign link', () => {
    const { path, expires, signature } = parts(link);
    expect(checkArtifactSignature(secret, path, expires, signature, 2_000_000_001)).toBe('expired');
    expect(checkArtifactSignature(secret, 'screenshot/2026-11-20/43.png', expires, signature, 0)).toBe('bad-signature');
    expect(checkArtifactSignature(secret, path, '2000000999', signature, 0)).toBe('bad-signature');
    expect(checkArtifactSignature('another-secret-entirely', path, expires, signature, 0)).toBe('bad-signature');
    expect(checkArtifactSignature(secret, path, null, signature, 0)).toBe('bad-signature');
    expect(checkArtifactSignature(secret, path, expires, 'zz', 0)).toBe('bad-signature');
  });
});
