// `junction cluster [--config CONFIG.json] [--json]`: what the configured server store knows of
// its cluster, read without joining it: who holds the lease (its token, address, and how long
// it has left; with Redis alone, once none does, the last token), and every live process, owner
// or standby, with its address and since when. With shards > 1 there is no one lease: it lists
// each shard with its holder (process name, address, token, how long its lease has left), and a
// member's role is `serving` while it holds a shard whose lease has not ended, else `standby`.
// With the embedded store there is no cluster: it says so.
import { loadConfig } from '../../config/index.js';
import type { ClusterView, Member } from '../../engine/store/lease.js';
import type { ShardHolder } from '../../engine/store/postgres-shard-leases.js';
import { clusterViewOf, storeKind, storeName } from '../store.js';

/** A shard of the cluster with its holder, if its lease was ever taken. */
type ShardLine = { shard: number } & Partial<ShardHolder>;

export async function clusterCommand(configFile: string | undefined, json: boolean, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  const kind = storeKind(config);
  if (kind === 'embedded' || kind === 'memory') {
    out(json ? JSON.stringify({ store: storeName(config), members: [] }) : `no cluster: the store is ${storeName(config)}, which one process uses alone`);
    return 0;
  }
  const view = await clusterViewOf(config);
  if (config.shards > 1) {
    const { shardView } = await import('../../engine/store/postgres-shard-leases.js');
    const held = await shardView(config.databaseUrl, config.databaseSchema, config.shards);
    const shards: ShardLine[] = Array.from({ length: config.shards }, (_, shard) => ({ shard, ...held.get(shard) }));
    if (json) out(JSON.stringify({ store: storeName(config), shards, members: view.members.map((m) => ({ ...m, role: shardRoleOf(m, shards) })) }));
    else for (const line of describeShards(storeName(config), view, shards)) out(line);
    return 0;
  }
  if (json) out(JSON.stringify({ store: storeName(config), ...(view.holder && { holder: view.holder }), ...(view.lastToken && { lastToken: view.lastToken }), members: view.members.map((m) => ({ ...m, role: roleOf(m, view) })) }));
  else for (const line of describe(storeName(config), view)) out(line);
  return 0;
}

function roleOf(member: Member, { holder }: ClusterView): 'owner' | 'standby' {
  return holder !== undefined && holder.endsInMs > 0 && holder.owner === member.name ? 'owner' : 'standby';
}

function shardRoleOf(member: Member, shards: readonly ShardLine[]): 'serving' | 'standby' {
  return shards.some((s) => s.owner === member.name && (s.endsInMs ?? 0) > 0) ? 'serving' : 'standby';
}

function describeShards(store: string, view: ClusterView, shards: readonly ShardLine[]): string[] {
  const lines = [`sharded cluster on ${store}`, `shards (${shards.length}):`];
  for (const s of shards) lines.push(`  ${String(s.shard).padStart(3)}  ${shardLine(s)}`);
  if (view.members.length === 0) return [...lines, 'members: none (no process of this cluster is running)'];
  lines.push(`members (${view.members.length}):`);
  for (const m of view.members) lines.push(`  ${shardRoleOf(m, shards).padEnd(8)}${m.name}  ${m.address || '(no address)'}  since ${m.since}`);
  return lines;
}

function shardLine({ owner, address, token, endsInMs }: ShardLine): string {
  if (owner === undefined || endsInMs === undefined) return 'never taken';
  const where = address ? ` at ${address}` : '';
  if (endsInMs > 0) return `held by ${owner} (token ${token})${where}, ends in ${seconds(endsInMs)} unless renewed`;
  return `ended ${seconds(-endsInMs)} ago (last held by ${owner}, token ${token}): the next process to look takes it`;
}

function describe(store: string, view: ClusterView): string[] {
  const lines = [`cluster on ${store}`, `lease: ${leaseLine(view)}`];
  if (view.members.length === 0) return [...lines, 'members: none (no process of this cluster is running)'];
  lines.push(`members (${view.members.length}):`);
  for (const m of view.members) lines.push(`  ${roleOf(m, view).padEnd(8)}${m.name}  ${m.address || '(no address)'}  since ${m.since}`);
  return lines;
}

function leaseLine({ holder, lastToken }: ClusterView): string {
  if (holder === undefined) return lastToken === undefined ? 'never taken' : `not held (the last one, token ${lastToken}, ended or was released): the next process to ask takes it`;
  const where = holder.address ? ` at ${holder.address}` : '';
  if (holder.endsInMs > 0) return `held by ${holder.owner} (token ${holder.token})${where}, ends in ${seconds(holder.endsInMs)} unless renewed`;
  return `ended ${seconds(-holder.endsInMs)} ago (last held by ${holder.owner}, token ${holder.token}): the next process to ask takes it`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
