// What the ids a shard's engine makes start with in a sharded cluster (decision 0018): the
// shard's number and a dash (`3-…`). Whatever is made from such an id keeps it in front (a
// participant's effect keys, a tracked link's code), so it names its shard too.

/** A shard's prefix at the start of a text: its number, a dash. */
const SHARD_PREFIX = /^(0|[1-9]\d{0,8})-/;

/** The prefix of the ids shard `shard`'s engine makes (EngineOptions.idPrefix). */
export function idPrefix(shard: number): string {
  return `${shard}-`;
}

/** The shard prefix `text` starts with, or "" (an id of one engine, or made by something else). */
export function prefixOf(text: string): string {
  return SHARD_PREFIX.exec(text)?.[0] ?? '';
}

/** The shard `text` names by its prefix, when it has one in range of `shards`. */
export function shardNamed(text: string, shards: number): number | undefined {
  const named = SHARD_PREFIX.exec(text);
  const shard = named === null ? undefined : Number(named[1]);
  return shard !== undefined && shard < shards ? shard : undefined;
}
