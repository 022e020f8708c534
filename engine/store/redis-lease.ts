// Cluster mode's lease on the Redis store alone: which of several Junction processes sharing
// one Redis owns the partitions. The hash `<prefix>lease` names the owner, its token and its
// advertised address, and expires (PEXPIRE, by the server's clock) unless renewed every third
// of its length. The fencing token is the fence key itself (`<prefix>fence`, redis-fence.ts):
// taking an absent lease increments it in the same script, so every change of owner raises the
// fence that each commit of the old owner checks. A lease that expired with nobody taking it is
// renewed by its holder as long as the fence still holds its token (no one else owned since).
// The hash `<prefix>members` keeps each process of the cluster (lease.ts): its name → "since
// until address" (ms by the server's clock), written by a standby at each ask and by the owner
// with each renewal (the same script, which deletes it instead once the fence moved on; so does
// the release); `clusterView` reads it for `junction cluster` (with the fence: the last token when
// no lease is held), leaving out
// an entry it cannot read (written by something else under the prefix) instead of failing.
import { JunctionError } from '../errors.js';
import { connectRedis, type RedisConnection, type RedisOptions } from './redis.js';
import { fenceKey } from './redis-fence.js';
import { HeldLease, MEMBER_TTL_LEASES, ownerName, waitForLease, type ClusterView, type LeaseHolder, type LeaseOptions, type Member } from './lease.js';

export type RedisLeaseOptions = LeaseOptions & Omit<RedisOptions, 'fence'>;

/** KEYS: lease, fence. ARGV: owner, ttl. The new token, or nil when the lease is held. */
const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'address', '')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token`;

/** Lua: records the member ARGV[m] (name), ARGV[m+1] (address) for ARGV[m+2] ms in the hash KEYS[k], keeping when it first came. */
function presentLua(k: number, m: number): string {
  return `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local before = redis.call('HGET', KEYS[${k}], ARGV[${m}])
local since = before and string.match(before, '^(%d+)') or string.format('%d', now)
redis.call('HSET', KEYS[${k}], ARGV[${m}], since .. ' ' .. string.format('%d', now + tonumber(ARGV[${m + 2}])) .. ' ' .. ARGV[${m + 1}])`;
}

/** KEYS: members. Deletes the entries of processes gone for more than a day (killed ones never leave by themselves). */
const FORGET_GONE = `
local t = redis.call('TIME')
local before = tonumber(t[1]) * 1000 - 86400000
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local untilMs = tonumber(string.match(entries[i + 1], '^%d+ (%d+)'))
  if untilMs ~= nil and untilMs < before then redis.call('HDEL', KEYS[1], entries[i]) end
end
return 1`;

/** KEYS: members. ARGV: name, address, ttl. */
const PRESENT = `${presentLua(1, 1)}
return 1`;

/** KEYS: lease, fence, members. ARGV: token, ttl, owner, address, member ttl. 1 while the fence holds the token (the lease written again if it had expired, the owner's member entry renewed), else 0 (the owner's member entry deleted: it is leaving). */
const RENEW = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  redis.call('HDEL', KEYS[3], ARGV[3])
  return 0
end
${presentLua(3, 3)}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'token', ARGV[1], 'address', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: lease. ARGV: token, address. */
const ADVERTISE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('HSET', KEYS[1], 'address', ARGV[2]) end
return 1`;

/** KEYS: lease, members. ARGV: token, owner. The owner's member entry goes too. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('HDEL', KEYS[2], ARGV[2])
return 1`;

/** A lease this process holds in Redis: it renews itself until released or lost. */
export class RedisLease extends HeldLease {
  private address = '';

  private constructor(
    private readonly connection: RedisConnection,
    owner: string,
    token: string,
    options: RedisLeaseOptions & { ttlMs: number },
  ) {
    super(owner, token, options.ttlMs, options.onLost);
    this.address = options.address ?? '';
  }

  /** Connects, then waits until the lease is free (or expired) and takes it. A server out of reach is waited for too. */
  static async acquire(options: RedisLeaseOptions): Promise<RedisLease> {
    const settled = { ...options, ttlMs: options.ttlMs ?? 3000 };
    const owner = ownerName();
    let connection: RedisConnection | undefined;
    const keys = (c: RedisConnection): [string, string] => [`${c.prefix}lease`, fenceKey(c.prefix)];
    return waitForLease<RedisLease>(
      {
        prepare: async () => {
          connection = await connectRedis(options);
          await connection.redis.eval(FORGET_GONE, 1, membersKey(connection.prefix));
        },
        present: async () => void (await connection!.redis.eval(PRESENT, 1, membersKey(connection!.prefix), owner, settled.address ?? '', MEMBER_TTL_LEASES * settled.ttlMs)),
        take: async () => {
          const c = connection!;
          const token = (await c.redis.eval(TAKE, 2, ...keys(c), owner, settled.ttlMs)) as number | null;
          return token === null ? undefined : new RedisLease(c, owner, String(token), settled);
        },
        holder: async () => holderOf(await connection!.redis.hgetall(keys(connection!)[0])),
        failure: (err) => (err instanceof JunctionError ? err : connection!.failure(err)), // connecting throws JunctionErrors
        leave: async () => void (await connection!.redis.hdel(membersKey(connection!.prefix), owner)),
        end: async () => connection?.redis.disconnect(),
      },
      options,
    );
  }

  async advertise(address: string): Promise<void> {
    this.address = address;
    await this.connection.redis.eval(ADVERTISE, 1, this.leaseKey, this.token, address).catch((err: unknown) => {
      throw this.connection.failure(err);
    });
  }

  async release(): Promise<void> {
    const { redis } = this.connection;
    if (this.stop()) await redis.eval(RELEASE, 2, this.leaseKey, membersKey(this.connection.prefix), this.token, this.owner).catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  }

  protected async renew(): Promise<boolean | undefined> {
    const keys = [this.leaseKey, fenceKey(this.connection.prefix), membersKey(this.connection.prefix)];
    const held = await this.connection.redis.eval(RENEW, 3, ...keys, this.token, this.ttlMs, this.owner, this.address, MEMBER_TTL_LEASES * this.ttlMs).catch(() => undefined);
    return held === undefined ? undefined : held === 1;
  }

  private get leaseKey(): string {
    return `${this.connection.prefix}lease`;
  }
}

/** What the Redis at `options` knows of its cluster (read only). */
export async function clusterView(options: Omit<RedisOptions, 'fence'>): Promise<ClusterView> {
  const connection = await connectRedis(options);
  try {
    const leaseKey = `${connection.prefix}lease`;
    const [[seconds, micros], lease, leaseMs, fence, members] = await Promise.all([
      connection.redis.time(),
      connection.redis.hgetall(leaseKey),
      connection.redis.pttl(leaseKey),
      connection.redis.get(fenceKey(connection.prefix)),
      connection.redis.hgetall(membersKey(connection.prefix)),
    ]);
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const holder = holderOf(lease);
    return {
      ...(holder ? { holder: { ...holder, endsInMs: leaseMs } } : fence !== null && { lastToken: fence }),
      members: Object.entries(members)
        .flatMap(([name, entry]) => memberOf(name, entry, now) ?? [])
        .filter((m) => m.endsInMs > 0)
        .sort((a, b) => a.since.localeCompare(b.since) || a.name.localeCompare(b.name)),
    };
  } catch (err) {
    throw connection.failure(err);
  } finally {
    await connection.redis.quit().catch(() => connection.redis.disconnect());
  }
}

/** A member as its entry says, or undefined for an entry none of ours wrote (not "<since> <until> <address>" in ms): it is left out, not fatal. */
function memberOf(name: string, entry: string, now: number): Member | undefined {
  const [, since, until, address = ''] = /^(\d{1,15}) (\d{1,15})(?: (.*))?$/s.exec(entry) ?? [];
  if (since === undefined || until === undefined) return undefined;
  return { name, address, since: new Date(Number(since)).toISOString(), endsInMs: Number(until) - now };
}

function membersKey(prefix: string): string {
  return `${prefix}members`;
}

function holderOf(fields: Record<string, string>): LeaseHolder | undefined {
  const { owner, address, token } = fields;
  return owner === undefined || token === undefined ? undefined : { owner, address: address ?? '', token };
}
