// How a client (node, loadgen, tooling) authenticates to NATS and verifies it: the settings (flags with their
// environment variables), reading them into nats.js connect options, and one-line explanations of a refused connect.

import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  type ConnectionOptions,
  credsAuthenticator,
  nkeyAuthenticator,
  type TlsOptions,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { replyPrefix } from './subjects.ts';

/** Flag name → environment variable. */
export const NATS_CLIENT_SETTINGS = {
  'nats-creds': 'NATS_CREDS',
  'nats-nkey': 'NATS_NKEY',
  'nats-user': 'NATS_USER',
  'nats-password': 'NATS_PASSWORD',
  'nats-password-file': 'NATS_PASSWORD_FILE',
  'nats-tls-ca': 'NATS_TLS_CA',
  'nats-tls-cert': 'NATS_TLS_CERT',
  'nats-tls-key': 'NATS_TLS_KEY',
} as const;
export type NatsClientSetting = keyof typeof NATS_CLIENT_SETTINGS;

/** The same settings as `node:util` parseArgs options. */
export const NATS_CLIENT_OPTIONS = Object.fromEntries(
  Object.keys(NATS_CLIENT_SETTINGS).map((k) => [k, { type: 'string' }]),
) as Record<NatsClientSetting, { type: 'string' }>;

const pad = (s: string, n: number) => `${s.padEnd(n - 1)} `;
const HELP: Record<NatsClientSetting, [string, string]> = {
  'nats-creds': ['FILE', 'NATS credentials file (JWT + nkey seed, from nsc)'],
  'nats-nkey': ['FILE', 'nkey seed file (SU…)'],
  'nats-user': ['USER', 'NATS user name (with a password)'],
  'nats-password': ['PASS', 'NATS password (prefer the file or the variable)'],
  'nats-password-file': ['FILE', 'file holding the NATS password'],
  'nats-tls-ca': ['FILE', 'CA certificate(s) that signed the NATS server certificate'],
  'nats-tls-cert': ['FILE', 'client certificate, when the server verifies clients'],
  'nats-tls-key': ['FILE', 'private key of the client certificate'],
};

/** Usage lines for these flags, in the layout of the node's `--help`. */
export function natsClientUsage(flagWidth = 27, envWidth = 20): string {
  return (Object.keys(HELP) as NatsClientSetting[])
    .map((k) => `  ${pad(`--${k} ${HELP[k][0]}`, flagWidth)}${pad(NATS_CLIENT_SETTINGS[k], envWidth)}${HELP[k][1]}`)
    .join('\n');
}

/** A value and the flag or variable it came from, which every error names. */
export interface Named {
  readonly value: string;
  readonly name: string;
}
export type NatsClientSettings = Partial<Record<NatsClientSetting, Named>>;

/** Flags win over the environment; a flag's name is `--flag`, a variable's is the variable. */
export function natsClientSettings(
  flags: Partial<Record<NatsClientSetting, string>>,
  env: NodeJS.ProcessEnv,
): NatsClientSettings {
  const out: NatsClientSettings = {};
  for (const [key, variable] of Object.entries(NATS_CLIENT_SETTINGS) as [NatsClientSetting, string][]) {
    const flag = flags[key];
    const value = flag ?? env[variable];
    if (value !== undefined && value !== '') out[key] = { value, name: flag !== undefined ? `--${key}` : variable };
  }
  return out;
}

export class NatsSettingError extends Error {
  override name = 'NatsSettingError';
}

export interface NatsClientAuth {
  /** Spread into nats.js connect options. */
  readonly options: Pick<ConnectionOptions, 'authenticator' | 'tls'>;
  /** The setting holding the credential; undefined: anonymous. */
  readonly credential: string | undefined;
  /** Set when TLS is: the settings holding the CA (undefined: the system's CAs) and the client certificate. */
  readonly tls: { readonly ca: string | undefined; readonly cert: string | undefined } | undefined;
  /** What it was read from, for a thread or process that connects with the same credentials (and reads them itself). */
  readonly settings: NatsClientSettings;
}

/** Reads every file now, so a bad setting stops a process at start, named, rather than at its first reconnect. */
export function loadNatsClientAuth(settings: NatsClientSettings): NatsClientAuth {
  const credential = credentialSetting(settings);
  const authenticator = credential ? authenticatorFor(settings, credential) : undefined;
  const tls = tlsOptions(settings);
  return {
    options: { ...(authenticator ? { authenticator } : {}), ...(tls ? { tls } : {}) },
    credential: credential?.name,
    tls: tls ? { ca: settings['nats-tls-ca']?.name, cert: settings['nats-tls-cert']?.name } : undefined,
    settings,
  };
}

function credentialSetting(s: NatsClientSettings): Named | undefined {
  const given = [s['nats-creds'], s['nats-nkey'], s['nats-user']].filter((n) => n !== undefined);
  if (given.length > 1) {
    throw new NatsSettingError(`${given.map((n) => n.name).join(' and ')}: give one NATS credential, not several`);
  }
  const secret = s['nats-password'] ?? s['nats-password-file'];
  if (secret && !s['nats-user'])
    throw new NatsSettingError(`${secret.name} needs a user: set --nats-user or NATS_USER`);
  return given[0];
}

function authenticatorFor(s: NatsClientSettings, credential: Named): Authenticator {
  let auth: Authenticator;
  if (credential === s['nats-creds']) auth = credsAuthenticator(readSetting(credential));
  else if (credential === s['nats-nkey']) auth = nkeyAuthenticator(readSetting(credential, true));
  else auth = usernamePasswordAuthenticator(credential.value, password(s, credential));
  try {
    auth('check'); // parses the creds or seed and signs a nonce: a malformed one fails here, not at connect
  } catch (err) {
    throw new NatsSettingError(
      `${credential.name} ${credential.value}: not a valid ${kindOf(s, credential)} (${why(err)})`,
    );
  }
  return auth;
}

function kindOf(s: NatsClientSettings, credential: Named): string {
  return credential === s['nats-creds'] ? 'NATS credentials file' : 'nkey seed';
}

function password(s: NatsClientSettings, user: Named): string {
  const found = secretOnce(s['nats-password'], s['nats-password-file'], 'password');
  if (found) return found.value;
  throw new NatsSettingError(`${user.name} needs a password: set --nats-password-file or NATS_PASSWORD`);
}

/**
 * A secret given inline or as a file (Compose and Kubernetes mount secrets as files), at most one of the two: its
 * value and the setting it came from, or undefined when neither is set.
 */
export function secretOnce(inline: Named | undefined, file: Named | undefined, what: string): Named | undefined {
  if (file && inline) throw new NatsSettingError(`${inline.name} and ${file.name}: give the ${what} once`);
  if (file) return { value: readSecretFile(file.value, file.name), name: file.name };
  return inline;
}

function tlsOptions(s: NatsClientSettings): TlsOptions | undefined {
  const [ca, cert, key] = [s['nats-tls-ca'], s['nats-tls-cert'], s['nats-tls-key']];
  if (!ca && !cert && !key) return undefined;
  if (Boolean(cert) !== Boolean(key)) {
    const has = (cert ?? key)!;
    throw new NatsSettingError(`${has.name} needs its pair: set both --nats-tls-cert and --nats-tls-key`);
  }
  const text = (n: Named) => new TextDecoder().decode(readSetting(n));
  return { ...(ca ? { ca: text(ca) } : {}), ...(cert && key ? { cert: text(cert), key: text(key) } : {}) };
}

/** The secret in the file a setting names (Compose and Kubernetes mount secrets as files), without the final newline. */
export function readSecretFile(path: string, name: string): string {
  return new TextDecoder().decode(readSetting({ value: path, name }, true));
}

/** The file's bytes; `trim` drops surrounding whitespace (a seed or password file usually ends with a newline). */
function readSetting(setting: Named, trim = false): Uint8Array {
  let data: Buffer;
  try {
    data = readFileSync(setting.value);
  } catch (err) {
    throw new NatsSettingError(`${setting.name} ${setting.value}: cannot read it (${why(err)})`);
  }
  return trim ? new TextEncoder().encode(data.toString('utf8').trim()) : data;
}

/** A cluster member's connection: its credentials, and replies inside the cluster's namespace (the node role). */
export function nodeConnectOptions(cluster: string, auth: NatsClientAuth | undefined): Partial<ConnectionOptions> {
  return { ...auth?.options, inboxPrefix: replyPrefix(cluster) };
}

const why = (err: unknown): string =>
  (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));

const ENV_CREDENTIALS = '--nats-nkey, --nats-creds or --nats-user (NATS_NKEY, NATS_CREDS, NATS_USER)';

/**
 * One line naming the setting to fix, for a connect refused over credentials or TLS; undefined for anything else
 * (an unreachable server is not a settings problem).
 */
export function explainConnectFailure(err: unknown, auth: NatsClientAuth): string | undefined {
  const text = messageChain(err);
  if (/authorization violation|authentication (timeout|expired)|user authentication/i.test(text)) {
    return auth.credential
      ? `NATS refused the credential in ${auth.credential} (${firstLine(text)})`
      : `NATS requires credentials (${firstLine(text)}): set ${ENV_CREDENTIALS}`;
  }
  if (/certificate|self[- ]signed|tls|ssl|handshake/i.test(text)) {
    const ca = auth.tls?.ca ?? 'the CA with --nats-tls-ca (NATS_TLS_CA)';
    return `TLS to NATS failed (${firstLine(text)}): check ${ca}`;
  }
  // A server that verifies clients drops one without a certificate after the handshake; the client sees no answer.
  if (auth.tls && !auth.tls.cert && (err as Error)?.name === 'TimeoutError') {
    return `no answer from NATS over TLS (${firstLine(text)}): if the server verifies clients, set --nats-tls-cert and --nats-tls-key (NATS_TLS_CERT, NATS_TLS_KEY)`;
  }
  return undefined;
}

/** The error's message and its causes' (nats.js wraps socket and TLS errors). */
function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(': ') || String(err);
}

const firstLine = (s: string): string => s.split('\n')[0]!.slice(0, 200);
