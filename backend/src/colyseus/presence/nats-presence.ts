import type { Presence } from '@colyseus/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ObjectRuntime, Ref } from '../../objects/index.ts';
import { internals } from '../../objects/internal.ts';
import { blockingPop } from './blocking-pop.ts';
import { ChannelDirectory, type ChannelWindow, DEFAULT_CHANNEL_WINDOW } from './channel-directory.ts';
import { encodeMessage } from './codec.ts';
import { GarbageCounter } from './garbage.ts';
import { COLYSEUS_REPLY_TOPICS, COLYSEUS_REQUEST_TOPICS, PatientPublisher } from './patient-publish.ts';
import type { PresenceShard } from './presence-shard.ts';
import { DEFAULT_PRESENCE_SHARDS, ShardRouter } from './shard-router.ts';
import { type TopicCallback, TopicHub } from './topic-hub.ts';
import { PresenceSubjects } from './topics.ts';

export interface NatsPresenceOptions {
  /** Routes key operations to PresenceShard objects; it must have PRESENCE_CLASSES among its classes. */
  readonly runtime: ObjectRuntime;
  /** Pub/sub connection. Default: the runtime's own NATS connection. */
  readonly connection?: NatsConnection;
  /** Presences with the same cluster name share topics. Default: the runtime's cluster name. */
  readonly cluster?: string;
  /** Must be the same on every node of the cluster. Default 64. */
  readonly shards?: number;
  /** Keys kept in memory only, not stored; the same on every node. Default: Colyseus's create locks (`ch:*`). */
  readonly volatileKeys?: (key: string) => boolean;
  /**
   * Topics whose messages are sent again for about 0.1 s while nobody subscribes to them (see patient-publish.ts).
   * Default: Colyseus's IPC request channels (`$<roomId>`, `p:<processId>`).
   */
  readonly requestTopics?: (topic: string) => boolean;
  /**
   * Topics only ever published to in answer to a message this instance sends after subscribing: their `subscribe`
   * resolves without a round trip to the server. Default: Colyseus's IPC reply channels (`ipc:<requestId>`).
   */
  readonly replyTopics?: (topic: string) => boolean;
  readonly channelWindow?: ChannelWindow;
  /** brpop re-checks its keys at least this often, in case a push ping was lost. Default 250 ms. */
  readonly brpopPollMs?: number;
  /** Default: the runtime's logger. */
  readonly log?: Logger;
}

/**
 * Colyseus Presence for a cluster connected only by NATS. Pub/sub is core NATS (one subject per topic); keys,
 * hashes, sets, counters and lists live in PresenceShard objects of the object runtime, one call per operation, so
 * each operation is atomic and durable, as on a Redis server. Semantics follow RedisPresence.
 */
export class NatsPresence implements Presence {
  private readonly nc: NatsConnection;
  private readonly subjects: PresenceSubjects;
  private readonly router: ShardRouter;
  private readonly hub: TopicHub;
  private readonly directory: ChannelDirectory;
  private readonly garbage: GarbageCounter;
  private readonly stopped = new AbortController();
  private readonly brpopPollMs: number;
  private readonly patient: PatientPublisher;
  private readonly requestTopics: (topic: string) => boolean;
  private readonly replyTopics: (topic: string) => boolean;

  constructor(opts: NatsPresenceOptions) {
    const { runtime } = opts;
    const impl = internals(runtime);
    const nc = opts.connection ?? impl.connection;
    if (!nc) throw new Error('NatsPresence needs NATS: a runtime started with `nats`, or a `connection` option');
    const log = opts.log ?? runtime.log;
    this.nc = nc;
    this.router = new ShardRouter(runtime, opts.shards ?? DEFAULT_PRESENCE_SHARDS, opts.volatileKeys);
    this.subjects = new PresenceSubjects(opts.cluster ?? impl.cluster);
    this.garbage = new GarbageCounter(log, (kind) => impl.metrics.garbage(kind));
    this.hub = new TopicHub(nc, this.subjects, this.garbage, log);
    const window = opts.channelWindow ?? DEFAULT_CHANNEL_WINDOW;
    this.directory = new ChannelDirectory(nc, this.subjects, () => this.hub.names(), this.garbage, log, window);
    this.brpopPollMs = opts.brpopPollMs ?? 250;
    this.patient = new PatientPublisher(nc);
    this.requestTopics = opts.requestTopics ?? COLYSEUS_REQUEST_TOPICS;
    this.replyTopics = opts.replyTopics ?? COLYSEUS_REPLY_TOPICS;
  }

  /** Messages on presence subjects that were not valid msgpack of ours, and were dropped. */
  get garbageMessages(): number {
    return this.garbage.total;
  }

  // --- pub/sub ---

  /**
   * Resolves once the NATS server has the subscription, so a publish from anywhere after this is received. A reply
   * topic resolves at once: NATS keeps one connection's order, so the request this instance publishes next reaches
   * the server after the subscription, and so does any answer to it (NATS's own request/reply relies on this).
   */
  async subscribe(topic: string, callback: TopicCallback): Promise<this> {
    if (this.stopped.signal.aborted) throw new Error('NatsPresence is shut down');
    this.hub.add(topic, callback);
    if (!this.replyTopics(topic)) await this.nc.flush();
    return this;
  }

  async unsubscribe(topic: string, callback?: TopicCallback): Promise<this> {
    this.hub.remove(topic, callback);
    return this;
  }

  /** Like RedisPresence: `undefined` is sent as `false` (JSON there has no undefined at the top level). */
  async publish(topic: string, data: unknown): Promise<void> {
    const subject = this.subjects.topic(topic);
    const payload = encodeMessage(data === undefined ? false : data);
    if (this.requestTopics(topic)) this.patient.publish(subject, payload);
    else this.nc.publish(subject, payload);
  }

  channels(pattern = '*'): Promise<string[]> {
    return this.directory.query(pattern);
  }

  // --- keys and strings ---

  exists(key: string): Promise<boolean> {
    return this.shard(key).exists(key);
  }

  async set(key: string, value: string): Promise<void> {
    await this.shard(key).set(key, String(value));
  }

  async setex(key: string, value: string, seconds: number): Promise<void> {
    await this.shard(key).setex(key, String(value), seconds);
  }

  async expire(key: string, seconds: number): Promise<void> {
    await this.shard(key).expire(key, seconds);
  }

  get(key: string): Promise<string | null> {
    return this.shard(key).get(key);
  }

  async del(key: string): Promise<void> {
    await this.shard(key).del(key);
  }

  incr(key: string): Promise<number> {
    return this.shard(key).incrby(key, 1);
  }

  decr(key: string): Promise<number> {
    return this.shard(key).incrby(key, -1);
  }

  // --- sets ---

  async sadd(key: string, value: unknown): Promise<void> {
    await this.shard(key).sadd(key, String(value));
  }

  /** 1 if the member was removed, else 0 (Redis' count). */
  srem(key: string, value: unknown): Promise<number> {
    return this.shard(key).srem(key, String(value));
  }

  smembers(key: string): Promise<string[]> {
    return this.shard(key).smembers(key);
  }

  /** 1 or 0, like Redis. */
  sismember(key: string, field: string): Promise<number> {
    return this.shard(key).sismember(key, String(field));
  }

  scard(key: string): Promise<number> {
    return this.shard(key).scard(key);
  }

  /** Reads each set from its own shard and intersects here: not one atomic snapshot when the keys span shards. */
  async sinter(...keys: string[]): Promise<string[]> {
    const sets = await Promise.all(keys.map((k) => this.smembers(k)));
    const [first = [], ...rest] = sets;
    const others = rest.map((members) => new Set(members));
    return first.filter((m) => others.every((s) => s.has(m)));
  }

  // --- hashes ---

  hset(key: string, field: string, value: string): Promise<boolean> {
    return this.shard(key).hset(key, field, String(value));
  }

  hincrby(key: string, field: string, value: number): Promise<number> {
    return this.shard(key).hincrby(key, field, value);
  }

  hincrbyex(key: string, field: string, value: number, expireInSeconds: number): Promise<number> {
    return this.shard(key).hincrbyex(key, field, value, expireInSeconds);
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.shard(key).hget(key, field);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    // fromEntries defines own properties, so a field named `__proto__` stays a field.
    return Object.fromEntries(await this.shard(key).hgetall(key));
  }

  hdel(key: string, field: string): Promise<boolean> {
    return this.shard(key).hdel(key, field);
  }

  hlen(key: string): Promise<number> {
    return this.shard(key).hlen(key);
  }

  // --- lists ---

  llen(key: string): Promise<number> {
    return this.shard(key).llen(key);
  }

  async rpush(key: string, ...values: string[]): Promise<number> {
    const length = await this.shard(key).rpush(key, values.map(String));
    this.pingPushed(key);
    return length;
  }

  async lpush(key: string, ...values: string[]): Promise<number> {
    const length = await this.shard(key).lpush(key, values.map(String));
    this.pingPushed(key);
    return length;
  }

  rpop(key: string): Promise<string | null> {
    return this.shard(key).rpop(key);
  }

  lpop(key: string): Promise<string | null> {
    return this.shard(key).lpop(key);
  }

  /** Blocks until one of the keys has an element or the timeout (seconds; 0 = forever) passes. */
  brpop(...args: [...keys: string[], timeoutInSeconds: number]): Promise<[string, string] | null> {
    const timeout = args.at(-1);
    const keys = args.slice(0, -1);
    if (typeof timeout !== 'number' || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
      return Promise.reject(new TypeError('brpop(...keys, timeoutInSeconds): give at least one key and a timeout'));
    }
    const deps = {
      nc: this.nc,
      subjects: this.subjects,
      pop: (key: string) => this.rpop(key),
      pollMs: this.brpopPollMs,
    };
    return blockingPop(deps, keys as string[], timeout, this.stopped.signal);
  }

  // --- lifecycle ---

  /** Listener counts are per topic in a plain array here; there is no EventEmitter limit to raise. */
  setMaxListeners(_count: number): void {}

  /**
   * Drops every subscription, stops answering `channels`, and ends waiting `brpop` calls with null. The NATS
   * connection and the runtime belong to the caller and stay open.
   */
  shutdown(): void {
    if (this.stopped.signal.aborted) return;
    this.stopped.abort();
    this.patient.stop();
    this.hub.clear();
    this.directory.close();
  }

  private shard(key: string): Ref<typeof PresenceShard> {
    return this.router.of(key);
  }

  /** Wakes `brpop` callers waiting on this key, wherever they are. Best effort: they also poll. */
  private pingPushed(key: string): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.subjects.list(key));
  }
}
