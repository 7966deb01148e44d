// Reads the node's settings from the environment. Pure: throws ConfigError, never exits or logs.

import { randomBytes } from 'node:crypto';

export const DEFAULT_PORT = 2567;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface NodeConfig {
  port: number;
  nodeId: string;
}

/** `PORT` unset means the default; anything else must be a plain decimal integer in 1..65535. */
export function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

// Node ids will end up in NATS subjects, so keep them to characters that are safe there.
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `NODE_ID` if set, else `<hostname>-<6 random hex>` so two processes on one host never share an id. */
export function parseNodeId(raw: string | undefined, host: string): string {
  if (raw !== undefined) {
    if (!NODE_ID.test(raw)) {
      throw new ConfigError(`NODE_ID must be 1-64 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(raw)}`);
    }
    return raw;
  }
  const safeHost = host.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50) || 'node';
  return `${safeHost}-${randomBytes(3).toString('hex')}`;
}

export function readConfig(env: NodeJS.ProcessEnv, host: string): NodeConfig {
  return { port: parsePort(env.PORT), nodeId: parseNodeId(env.NODE_ID, host) };
}
