// Keys as the Postgres store writes them and reads them back (postgres.ts, the cluster's directory).

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

