import { Client, type Room } from '@colyseus/sdk';
import { DEFAULT_REJOIN, isRefusal, REJOINABLE_CODES, type RejoinPolicy, rejoin } from './rejoin.ts';

type Handler = (...args: never[]) => void;
type Event = 'reconnecting' | 'reconnected' | 'failed' | 'left';
type Options = Record<string, unknown>;
/** Re-join timing, plus the auth token every join sends (`client.auth.token`, checked by the room's onAuth). */
type Policy = Partial<Omit<RejoinPolicy, 'endpoints'>> & { token?: string };

/**
 * A Colyseus SDK room that follows its room to another node: when the connection drops in a way that means "the
 * node went away", it re-joins by reconnection token through any live node and moves every listener to the new
 * Room object. Game code registers its handlers here, not on `room`, so they survive the move.
 */
export class ResilientRoom<State = unknown> {
  private readonly handlers = new Map<string | number, Handler[]>();
  private readonly stateHandlers: ((state: State) => void)[] = [];
  private readonly events = new Map<Event, ((detail?: unknown) => void)[]>();
  private leaving = false;

  private constructor(
    public room: Room<unknown, State>,
    private readonly policy: RejoinPolicy,
    private readonly client: (endpoint: string, limitMs?: number) => Client,
  ) {
    this.attach(room);
  }

  static joinOrCreate<S = unknown>(
    endpoints: readonly string[],
    roomName: string,
    options: Options = {},
    policy: Policy = {},
  ) {
    return ResilientRoom.open<S>(endpoints, policy, (client) => client.joinOrCreate<S>(roomName, options));
  }

  static create<S = unknown>(
    endpoints: readonly string[],
    roomName: string,
    options: Options = {},
    policy: Policy = {},
  ) {
    return ResilientRoom.open<S>(endpoints, policy, (client) => client.create<S>(roomName, options));
  }

  static joinById<S = unknown>(
    endpoints: readonly string[],
    roomId: string,
    options: Options = {},
    policy: Policy = {},
  ) {
    return ResilientRoom.open<S>(endpoints, policy, (client) => client.joinById<S>(roomId, options));
  }

  private static async open<S>(
    endpoints: readonly string[],
    policy: Policy,
    join: (client: Client) => Promise<Room<unknown, S>>,
  ): Promise<ResilientRoom<S>> {
    const { token, ...timing } = policy;
    const full: RejoinPolicy = { ...DEFAULT_REJOIN, ...timing, endpoints };
    // One client per attempt; a re-join attempt's matchmaking request gets its own time limit.
    const client = (endpoint: string, limitMs?: number) => {
      const c = new Client(endpoint);
      if (token) c.auth.token = token;
      if (limitMs) c.http.options = { ...c.http.options, signal: AbortSignal.timeout(limitMs) };
      return c;
    };
    // A first join retries only "node unreachable"; a refusal (no such room, bad token) is the answer.
    const room = await rejoin(
      full,
      (endpoint) => join(client(endpoint)),
      (err) => !isRefusal(err),
    );
    return new ResilientRoom<S>(room, full, client);
  }

  get roomId(): string {
    return this.room.roomId;
  }

  get state(): State {
    return this.room.state;
  }

  get sessionId(): string {
    return this.room.sessionId;
  }

  send(type: string | number, message?: unknown): void {
    this.room.send(type, message);
  }

  sendBytes(type: string | number, bytes: Uint8Array): void {
    this.room.sendBytes(type, bytes);
  }

  request<T = unknown>(type: string | number, message?: unknown): Promise<T> {
    return this.room.request(type as never, message as never) as Promise<T>;
  }

  onMessage<T = unknown>(type: string | number, handler: (payload: T) => void): void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler as Handler);
    this.handlers.set(type, list);
    this.room.onMessage(type as never, handler as never);
  }

  onStateChange(handler: (state: State) => void): void {
    this.stateHandlers.push(handler);
    this.room.onStateChange(handler);
  }

  on(event: Event, handler: (detail?: unknown) => void): void {
    this.events.set(event, [...(this.events.get(event) ?? []), handler]);
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.room.leave(true);
  }

  private emit(event: Event, detail?: unknown): void {
    for (const h of this.events.get(event) ?? []) h(detail);
  }

  private attach(room: Room<unknown, State>): void {
    room.reconnection.enabled = false; // the SDK would retry only the dead node's address
    for (const [type, list] of this.handlers) for (const h of list) room.onMessage(type as never, h as never);
    for (const h of this.stateHandlers) room.onStateChange(h);
    room.onLeave((code: number) => void this.onLeave(code));
  }

  private async onLeave(code: number): Promise<void> {
    if (this.leaving || !REJOINABLE_CODES.has(code)) return this.emit('left', code);
    const token = this.room.reconnectionToken;
    this.emit('reconnecting', code);
    try {
      const room = await rejoin(
        this.policy,
        (endpoint) => this.client(endpoint, this.policy.attemptTimeoutMs).reconnect<State>(token),
        () => !this.leaving,
      );
      if (this.leaving) {
        await room.leave(true); // the player left while we were getting the seat back: do not put them back
        return this.emit('left', code);
      }
      this.room = room;
      this.attach(room);
      this.emit('reconnected', room.roomId);
    } catch (err) {
      this.emit('failed', err);
    }
  }
}
