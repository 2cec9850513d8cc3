// Is a secret guessable? Pure. ARTIFACT_LINK_SECRET signs links that open
// rendered stories to anyone who holds one, so it must be worth at least 32
// random bytes (`openssl rand -hex 32`, or `-base64 32`): estimated from the
// characters it uses, and refused outright when it is a pattern a person
// would type (one character repeated, a short unit repeated, a run such as
// "abcdef" or "123456", or common words).

export const MIN_SECRET_BITS = 256;
const MIN_LENGTH = 32;
/** Random text carries well over this per character; a person's pattern does not. */
const MIN_BITS_PER_CHAR = 3;
const COMMON_WORDS = ['password', 'passwd', 'secret', 'changeme', 'change', 'example', 'default', 'courier', 'toucan', 'admin', 'letmein', 'qwerty', 'azerty', 'welcome', 'artifact', 'signing', 'link', 'token', 'test', 'demo', 'dev', 'prod', 'key'];

/** Null when the secret is strong enough, else why it is refused (never the secret itself). */
export function secretWeakness(secret: string): string | null {
  if (secret.length < MIN_LENGTH) return `it is shorter than ${MIN_LENGTH} characters`;
  if (new Set(secret).size === 1) return 'it is one character repeated';
  if (isRepeatedUnit(secret)) return 'it is a short pattern repeated';
  if (runLength(secret) >= secret.length / 2) return 'it is mostly a run of consecutive characters (abcd…, 1234…)';
  if (wordCoverage(secret) >= secret.length / 3) return 'it is made of common words';
  if (shannonBitsPerChar(secret) < MIN_BITS_PER_CHAR) return 'it uses too few different characters';
  const bits = estimatedBits(secret);
  if (bits < MIN_SECRET_BITS) return `it is worth about ${Math.floor(bits)} random bits, less than ${MIN_SECRET_BITS} (32 random bytes)`;
  return null;
}

/** Bits if each character were drawn at random from the classes it uses (hex counted as 16 symbols). */
export function estimatedBits(secret: string): number {
  let alphabet = 0;
  if (/^[0-9a-f]+$/.test(secret) || /^[0-9A-F]+$/.test(secret)) alphabet = 16;
  else {
    if (/[a-z]/.test(secret)) alphabet += 26;
    if (/[A-Z]/.test(secret)) alphabet += 26;
    if (/[0-9]/.test(secret)) alphabet += 10;
    if (/[^a-zA-Z0-9]/.test(secret)) alphabet += 33;
  }
  return secret.length * Math.log2(Math.max(alphabet, 2));
}

export function shannonBitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function isRepeatedUnit(text: string): boolean {
  for (let size = 1; size <= text.length / 2; size++) {
    const unit = text.slice(0, size);
    if (unit.repeat(Math.ceil(text.length / size)).startsWith(text)) return true;
  }
  return false;
}

/** The longest run of characters whose codes go up or down by one. */
function runLength(text: string): number {
  let longest = 1;
  let current = 1;
  let step = 0;
  for (let i = 1; i < text.length; i++) {
    const diff = text.charCodeAt(i) - text.charCodeAt(i - 1);
    if ((diff === 1 || diff === -1) && (current === 1 || diff === step)) {
      current += 1;
      step = diff;
    } else {
      current = diff === 1 || diff === -1 ? 2 : 1;
      step = diff;
    }
    longest = Math.max(longest, current);
  }
  return longest;
}

/** Characters covered by common words (case-insensitive). */
function wordCoverage(text: string): number {
  const lower = text.toLowerCase();
  const covered = new Array<boolean>(lower.length).fill(false);
  for (const word of COMMON_WORDS) {
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) {
      for (let i = at; i < at + word.length; i++) covered[i] = true;
    }
  }
  return covered.filter(Boolean).length;
}
