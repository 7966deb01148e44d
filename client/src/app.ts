// The screens and how one leads to the next: name → lobby → arena → (leave, or the room is lost) → lobby.
import { ClientMessage, checkName, type LeaderboardEntry, type Profile } from '@resident/shared/game';
import { Match } from './game/match.ts';
import { Steering } from './game/steering.ts';
import { ApiError, fetchLeaderboard, fetchProfile, fetchRooms } from './net/api.ts';
import { ArenaConnection, type JoinMode } from './net/arena-connection.ts';
import { type Guest, savedGuest, signIn, signOut } from './net/session.ts';
import type { ArenaScene } from './scenes/arena-scene.ts';
import { ChatPanel } from './ui/chat-panel.ts';
import { fill } from './ui/dom.ts';
import { Hud } from './ui/hud.ts';
import { showLeaderboard } from './ui/leaderboard-dialog.ts';
import { LobbyScreen } from './ui/lobby-screen.ts';
import { nameScreen } from './ui/name-screen.ts';
import { toast } from './ui/toast.ts';

const ROOMS_POLL_MS = 2000;
const HUD_REFRESH_MS = 200;
const PROFILE_REFRESH_MS = 5000;

export type Screen = 'name' | 'lobby' | 'joining' | 'arena';

interface InGame {
  match: Match;
  hud: Hud;
  chat: ChatPanel;
  steering: Steering;
  timers: ReturnType<typeof setInterval>[];
  privateRoom: boolean;
}

export class App {
  screen: Screen = 'name';
  guest: Guest | undefined;
  profile: Profile | undefined;
  game: InGame | undefined;
  private lobbyTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ui: HTMLElement,
    private readonly canvasHost: HTMLElement,
    private readonly scene: () => ArenaScene | undefined,
    private readonly fps: () => number,
  ) {}

  async start(): Promise<void> {
    const saved = savedGuest();
    if (saved && (await this.login(saved.name)) === undefined) return;
    this.showName(saved?.name ?? '');
  }

  private showName(name: string): void {
    this.setScreen('name');
    fill(this.ui, nameScreen({ name, onSubmit: (n) => this.login(n) }));
  }

  /** Signs in (renewing the saved guest), then opens the lobby; returns an error message on failure. */
  private async login(raw: string): Promise<string | undefined> {
    const checked = checkName(raw);
    if ('error' in checked) return checked.error;
    try {
      this.guest = await signIn(checked.name).catch(async (err) => {
        if (!(err instanceof ApiError) || err.status >= 500) throw err;
        signOut(); // the saved token was refused (expired, other secret): become a new guest under this name
        return signIn(checked.name);
      });
    } catch (err) {
      return (err as Error).message;
    }
    this.showLobby();
    return undefined;
  }

  private showLobby(): void {
    const guest = this.guest!;
    this.setScreen('lobby');
    const lobby = new LobbyScreen(guest.name, {
      join: (mode) => void this.join(mode, lobby),
      leaderboard: () => void showLeaderboard(fetchLeaderboard, guest.playerId),
      changeName: () => this.showName(guest.name),
    });
    fill(this.ui, lobby.el);
    const poll = () => {
      fetchRooms().then(
        (rooms) => lobby.setRooms(rooms),
        (err: Error) => lobby.setRooms(err),
      );
    };
    poll();
    this.lobbyTimer = setInterval(poll, ROOMS_POLL_MS);
    void this.refreshProfile().then((p) => p && lobby.setProfile(p));
  }

  private async refreshProfile(): Promise<Profile | undefined> {
    if (!this.guest) return undefined;
    try {
      this.profile = await fetchProfile(this.guest.token);
    } catch {
      // keep the last one: a node may be failing over
    }
    return this.profile;
  }

  private async join(mode: JoinMode, lobby: LobbyScreen): Promise<void> {
    lobby.busy(true);
    this.screen = 'joining';
    try {
      const connection = await ArenaConnection.join(mode, this.guest!.token);
      this.enterArena(connection, mode.kind === 'private' || mode.kind === 'code');
    } catch (err) {
      this.screen = 'lobby';
      lobby.busy(false);
      toast(`Could not join: ${(err as Error).message}`, 'error');
    }
  }

  private enterArena(connection: ArenaConnection, privateRoom: boolean): void {
    this.setScreen('arena');
    const steering = new Steering(this.canvasHost);
    const match = new Match(connection, steering);
    const chat = new ChatPanel(
      () => connection.sessionId,
      (text) => connection.sendChat(text),
    );
    const hud = new Hud(
      { leave: () => void this.leaveArena(), leaderboard: () => this.openArenaLeaderboard() },
      chat.el,
    );
    const game: InGame = { match, hud, chat, steering, timers: [], privateRoom };
    this.game = game;
    fill(this.ui, hud.el);
    this.scene()?.setMatch(match);
    this.wireConnection(connection, game);
    game.timers.push(setInterval(() => this.refreshHud(game), HUD_REFRESH_MS));
    game.timers.push(setInterval(() => void this.refreshProfile(), PROFILE_REFRESH_MS));
    void this.refreshProfile();
  }

  private wireConnection(connection: ArenaConnection, game: InGame): void {
    connection.on('chat', (line) => game.chat.add(line));
    connection.on('error', (e) => toast(`${e.message} (${e.code})`, 'error'));
    connection.on('eaten', ({ by, respawnInMs }) => {
      const name = connection.state?.blobs?.get(by)?.name ?? by;
      game.hud.died(name, respawnInMs);
    });
    connection.on('reconnecting', () => {
      game.hud.reconnecting(true);
      game.chat.note('Room host went away: reconnecting…');
    });
    connection.on('reconnected', () => {
      game.hud.reconnecting(false);
      // The new room's state (and its node id) arrives just after the re-join; so does the moved Player object.
      setTimeout(() => {
        game.chat.note(`Back in the room, now hosted on ${connection.state?.node || 'another node'}.`);
        void this.refreshProfile();
      }, 1000);
    });
    connection.on('closed', (reason) => {
      if (this.game !== game) return;
      toast(`Left the room: ${reason}`, 'error');
      this.exitArena();
    });
  }

  private refreshHud(game: InGame): void {
    const scene = this.scene();
    const connection = game.match.connection;
    if (scene?.last?.alive) game.hud.alive();
    game.hud.update({
      view: scene?.last,
      state: connection.state,
      myName: this.guest?.name ?? '',
      ping: connection.rtt,
      fps: this.fps(),
      profile: this.profile,
      roomId: connection.roomId,
      privateRoom: game.privateRoom,
    });
  }

  private openArenaLeaderboard(): void {
    const connection = this.game?.match.connection;
    // Ask the room (one hop on the open socket); fall back to HTTP if it does not answer.
    const load = (): Promise<LeaderboardEntry[]> =>
      connection
        ? connection.request<LeaderboardEntry[]>(ClientMessage.leaderboard).catch(() => fetchLeaderboard())
        : fetchLeaderboard();
    void showLeaderboard(load, this.guest?.playerId);
  }

  private async leaveArena(): Promise<void> {
    const game = this.game;
    if (!game) return;
    this.exitArena();
    await game.match.connection.leave();
  }

  private exitArena(): void {
    const game = this.game;
    if (!game) return;
    this.game = undefined;
    for (const t of game.timers) clearInterval(t);
    game.match.stop();
    game.steering.dispose();
    game.chat.dispose();
    game.hud.dispose();
    this.scene()?.setMatch(undefined);
    this.showLobby();
  }

  private setScreen(screen: Screen): void {
    this.screen = screen;
    clearInterval(this.lobbyTimer);
    this.lobbyTimer = undefined;
    document.body.dataset.screen = screen;
  }
}
