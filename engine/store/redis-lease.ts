// Cluster mode's lease on the Redis store alone: which of several Junction processes sharing
// one Redis owns the partitions. The hash `<prefix>lease` names the owner, its token and its
// advertised address, and expires (PEXPIRE, by the server's clock) unless renewed every third
// of its length. The fencing token is the fence key itself (`<prefix>fence`, redis-fence.ts):
// taking an absent lease increments it in the same script, so every change of owner raises the
// fence that each commit of the old owner checks. A lease that expired with nobody taking it is
// renewed by its holder as long as the fence still holds its token (no one else owned since).
import { JunctionError } from '../errors.js';
import { connectRedis, type RedisConnection, type RedisOptions } from './redis.js';
import { fenceKey } from './redis-fence.js';
import { HeldLease, ownerName, waitForLease, type LeaseHolder, type LeaseOptions } from './lease.js';

export type RedisLeaseOptions = LeaseOptions & Omit<RedisOptions, 'fence'>;

/** KEYS: lease, fence. ARGV: owner, ttl. The new token, or nil when the lease is held. */
const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'address', '')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token`;

/** KEYS: lease, fence. ARGV: token, ttl, owner, address. 1 while the fence holds the token (the lease written again if it had expired), else 0. */
const RENEW = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'token', ARGV[1], 'address', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: lease. ARGV: token, address. */
const ADVERTISE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('HSET', KEYS[1], 'address', ARGV[2]) end
return 1`;

/** KEYS: lease. ARGV: token. */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then redis.call('DEL', KEYS[1]) end
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
  }

  /** Connects, then waits until the lease is free (or expired) and takes it. A server out of reach is waited for too. */
  static async acquire(options: RedisLeaseOptions): Promise<RedisLease> {
    const settled = { ...options, ttlMs: options.ttlMs ?? 3000 };
    const owner = ownerName();
    let connection: RedisConnection | undefined;
    const keys = (c: RedisConnection): [string, string] => [`${c.prefix}lease`, fenceKey(c.prefix)];
    return waitForLease<RedisLease>(
      {
        prepare: async () => void (connection = await connectRedis(options)),
        take: async () => {
          const c = connection!;
          const token = (await c.redis.eval(TAKE, 2, ...keys(c), owner, settled.ttlMs)) as number | null;
          return token === null ? undefined : new RedisLease(c, owner, String(token), settled);
        },
        holder: async () => holderOf(await connection!.redis.hgetall(keys(connection!)[0])),
        failure: (err) => (err instanceof JunctionError ? err : connection!.failure(err)), // connecting throws JunctionErrors
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
    if (this.stop()) await redis.eval(RELEASE, 1, this.leaseKey, this.token).catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  }

  protected async renew(): Promise<boolean | undefined> {
    const keys = [this.leaseKey, fenceKey(this.connection.prefix)];
    const held = await this.connection.redis.eval(RENEW, 2, ...keys, this.token, this.ttlMs, this.owner, this.address).catch(() => undefined);
    return held === undefined ? undefined : held === 1;
  }

  private get leaseKey(): string {
    return `${this.connection.prefix}lease`;
  }
}

function holderOf(fields: Record<string, string>): LeaseHolder | undefined {
  const { owner, address, token } = fields;
  return owner === undefined || token === undefined ? undefined : { owner, address: address ?? '', token };
}
