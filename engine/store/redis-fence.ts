// Cluster mode's fence in Redis: the key `<prefix>fence` holds the fencing token of the process
// that owns the partitions, and a commit to Redis by a process in a cluster is one Lua script
// that first compares that key with the process's own token and writes nothing when they
// differ. Scripts run atomically, so a commit either lands before a new owner raised the fence
// (and the new owner, reading after raising, sees it) or is refused whole. The new owner
// raises the fence to its token before it reads the store (raise(); the Redis lease's take does
// the same in the same script). Tokens only grow, so a raise below the current token is refused.
import type { Redis } from 'ioredis';
import { fencedError, type Lease } from './lease.js';

/** What a Redis commit checks in a cluster: the owner's token, and whom to tell when it is stale. */
export type RedisFence = Pick<Lease, 'token' | 'fenced'>;

/** The arguments one write gets at most per call inside the script (Lua's unpack has a limit near 8,000; even, so field/value pairs stay whole). */
const ARGS_PER_CALL = 4000;

/** One command of a batch (fenced or not): HSET key field value …, HDEL key field …, or XADD key * field value …. */
export interface RedisWrite {
  readonly command: 'HSET' | 'HDEL' | 'XADD';
  readonly key: string;
  readonly args: readonly string[];
}

/** The error the script answers when the fence holds another token (an error code, as Redis's own start with one). */
const FENCED = 'FENCED the fencing token is stale';

/** KEYS: the fence, then each write's key. ARGV: the token, then per write its command, its key's index in KEYS and its arguments' count, then the arguments. */
const WRITE = `
local FENCED = '${FENCED}'
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply(FENCED) end
local i = 2
while i <= #ARGV do
  local command, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  local last = i + 2 + n
  for from = i + 3, last, ${ARGS_PER_CALL} do
    local to = math.min(from + ${ARGS_PER_CALL - 1}, last)
    if command == 'XADD' then redis.call('XADD', key, '*', unpack(ARGV, from, to)) else redis.call(command, key, unpack(ARGV, from, to)) end
  end
  i = last + 1
end
return 1`;

/** KEYS: the fence. ARGV: the token. Sets the fence to the token unless it holds a higher one. */
const RAISE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

export function fenceKey(prefix: string): string {
  return `${prefix}fence`;
}

/** Raises the fence to this owner's token before it reads the store; refused (JCT_STORE_FENCED, and told) if a newer owner raised it already. */
export async function raise(redis: Redis, prefix: string, fence: RedisFence): Promise<void> {
  if ((await redis.eval(RAISE, 1, fenceKey(prefix), fence.token)) === 1) return;
  fence.fenced();
  throw fencedError(fence.token);
}

/** Writes the batch in one script if the fence still holds this owner's token; refused whole (JCT_STORE_FENCED, and told) if not. Other errors are thrown as they come. */
export async function fencedWrite(redis: Redis, prefix: string, fence: RedisFence, writes: readonly RedisWrite[]): Promise<void> {
  const keys = [fenceKey(prefix)];
  const argv = [fence.token];
  for (const { command, key, args } of writes) {
    keys.push(key);
    argv.push(command, String(keys.length), String(args.length));
    for (const arg of args) argv.push(arg); // not push(...args): a call's arguments are limited, a batch is not
  }
  try {
    await redis.call('EVAL', [WRITE, keys.length, ...keys, ...argv]);
  } catch (err) {
    if (!(err instanceof Error) || err.message !== FENCED) throw err;
    fence.fenced();
    throw fencedError(fence.token);
  }
}
