// Keys as the Postgres store writes them and reads them back (postgres.ts, the cluster's directory),
// and the binary order of keys' UTF-8 bytes every store loads them in.

/**
 * The key as stored. Postgres text cannot hold U+0000, which the engine's keys use as a
 * separator: U+0000 is stored as U+0001 U+0001 and U+0001 as U+0001 U+0002. Both are one byte
 * in UTF-8, below every other, so stored keys sort in the same byte order as the keys.
 */
export function storedKey(key: string): string {
  return /[\u0000\u0001]/.test(key) ? key.replace(/[\u0000\u0001]/g, (c) => (c === '\u0000' ? '\u0001\u0001' : '\u0001\u0002')) : key;
}

export function engineKey(stored: string): string {
  return stored.includes('\u0001') ? stored.replace(/\u0001[\u0001\u0002]/g, (pair) => (pair === '\u0001\u0001' ? '\u0000' : '\u0001')) : stored;
}

/**
 * The binary order of the keys' UTF-8 bytes (Buffer.compare's), without encoding them: UTF-8
 * orders as code points do, and UTF-16 code units order as code points except that a surrogate
 * (U+D800–DFFF, half of a code point U+10000 and up) must come after U+E000–FFFF.
 */
export function binaryOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
  }
  return a.length - b.length;
}

/** A code unit from U+D800 up, ranked in code point order: U+E000–FFFF first, then the surrogates, which stand for U+10000 and up. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
