// Who holds which seats on this node, so one player or one client address cannot hold more than a few seats or
// create rooms without end. A seat counts from the moment matchmaking hands it out (a reservation, which lapses
// after the reservation time unless its client joins) until its client leaves the room for good, which includes the
// time a dropped client's seat is kept for its reconnection. Pure bookkeeping, given the time.
import { KeyedBuckets } from './keyed-buckets.ts';

export interface SeatLimits {
  seatsPerPlayer: number;
  seatsPerAddress: number;
  roomsPerPlayerPerMinute: number;
  roomsPerAddressPerMinute: number;
  seatReservationSeconds: number;
}

export class LimitError extends Error {
  override name = 'LimitError';
  constructor(
    readonly code: 'too_many_seats' | 'too_many_rooms',
    message: string,
  ) {
    super(message);
  }
}

interface Seat {
  player: string;
  address: string;
  /** When a reservation lapses; Infinity once its client joined. */
  until: number;
}

/** A reservation is counted a little longer than the room keeps it: the join may be on its way. */
const RESERVATION_GRACE_MS = 1000;

export class SeatLedger {
  private readonly seats = new Map<string, Seat>();
  /** Session ids by `p:<player>` and `a:<address>`. */
  private readonly byKey = new Map<string, Set<string>>();
  /** Pending reservations in the order they lapse (all last equally long). */
  private readonly reservations = new Map<string, number>();
  /**
   * Reservations whose matchmaking request has not answered yet: the request counts as in flight, so its seat does
   * not count as awaiting its join too (a subset of `reservations`).
   */
  private readonly unanswered = new Set<string>();
  private readonly playerCreates: KeyedBuckets;
  private readonly addressCreates: KeyedBuckets;

  constructor(readonly limits: SeatLimits) {
    const perMinute = (n: number) => new KeyedBuckets(n / 60, n);
    this.playerCreates = perMinute(limits.roomsPerPlayerPerMinute);
    this.addressCreates = perMinute(limits.roomsPerAddressPerMinute);
  }

  /** Counts one room creation; LimitError when the player or address created too many in the last minute. */
  createRoom(player: string, address: string, now = Date.now()): void {
    if (!this.playerCreates.take(player, now))
      throw new LimitError(
        'too_many_rooms',
        `a player may create ${this.limits.roomsPerPlayerPerMinute} rooms per minute`,
      );
    if (!this.addressCreates.take(address, now))
      throw new LimitError(
        'too_many_rooms',
        `an address may create ${this.limits.roomsPerAddressPerMinute} rooms per minute`,
      );
  }

  /** A seat handed out by matchmaking; LimitError when the player or address holds too many already. */
  reserve(sessionId: string, player: string, address: string, now = Date.now()): void {
    this.lapse(now);
    this.admit(player, address, now);
    const until = now + this.limits.seatReservationSeconds * 1000 + RESERVATION_GRACE_MS;
    this.put(sessionId, { player, address, until });
    this.reservations.set(sessionId, until);
    this.unanswered.add(sessionId);
  }

  /** Matchmaking handed the reserved seat to its client, in a room on this node: the client is on its way. */
  handedOut(sessionId: string): void {
    this.unanswered.delete(sessionId);
  }

  /**
   * Its client joined (or came back to) a room on this node: the seat counts until `release`. With `check`, a seat
   * this node did not hand out is refused (LimitError) when the player or address holds too many already.
   */
  hold(sessionId: string, player: string, address: string, check: boolean, now = Date.now()): void {
    this.lapse(now);
    if (check && !this.seats.has(sessionId)) this.admit(player, address, now);
    this.put(sessionId, { player, address, until: Number.POSITIVE_INFINITY });
  }

  /** Its client left for good (or its room moved away). */
  release(sessionId: string): void {
    const seat = this.seats.get(sessionId);
    if (!seat) return;
    this.seats.delete(sessionId);
    this.reservations.delete(sessionId);
    this.unanswered.delete(sessionId);
    for (const key of keysOf(seat)) {
      const ids = this.byKey.get(key);
      ids?.delete(sessionId);
      if (ids?.size === 0) this.byKey.delete(key);
    }
  }

  /** Seats matchmaking handed out here whose clients have not joined yet, nor let them lapse. */
  awaitingJoin(now = Date.now()): number {
    this.lapse(now);
    return this.reservations.size - this.unanswered.size;
  }

  /** Seats held by this player (`p:`) or address (`a:`). */
  held(player: string, address: string, now = Date.now()): { player: number; address: number } {
    this.lapse(now);
    return { player: this.byKey.get(`p:${player}`)?.size ?? 0, address: this.byKey.get(`a:${address}`)?.size ?? 0 };
  }

  private admit(player: string, address: string, now: number): void {
    const held = this.held(player, address, now);
    if (held.player >= this.limits.seatsPerPlayer) {
      throw new LimitError(
        'too_many_seats',
        `a player may hold ${this.limits.seatsPerPlayer} seats; leave a room first`,
      );
    }
    if (held.address >= this.limits.seatsPerAddress) {
      throw new LimitError('too_many_seats', `an address may hold ${this.limits.seatsPerAddress} seats`);
    }
  }

  private put(sessionId: string, seat: Seat): void {
    this.release(sessionId);
    this.seats.set(sessionId, seat);
    for (const key of keysOf(seat)) {
      const ids = this.byKey.get(key) ?? new Set<string>();
      this.byKey.set(key, ids.add(sessionId));
    }
  }

  /** Forgets reservations whose client never joined. */
  private lapse(now: number): void {
    for (const [sessionId, until] of this.reservations) {
      if (until > now) return;
      this.release(sessionId);
    }
  }
}

function keysOf(seat: Seat): [string, string] {
  return [`p:${seat.player}`, `a:${seat.address}`];
}
