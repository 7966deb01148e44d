import { createHash } from 'node:crypto';

/**
 * Longest base64url token we put in a subject. NATS limits the whole protocol line (4 KiB by default), and Colyseus
 * topics are short, so longer topics are hashed instead of rejected.
 */
const MAX_PLAIN_TOKEN = 512;

/**
 * A NATS subject token for any string. base64url of the UTF-8 bytes never contains `.`, `*`, `>` or whitespace; the
 * leading letter keeps the token non-empty (for the empty topic) and keeps the plain and hashed forms apart.
 * Lone surrogates become U+FFFD in UTF-8, as they do on the way to Redis.
 */
export function topicToken(topic: string): string {
  const plain = Buffer.from(topic, 'utf8').toString('base64url');
  if (plain.length <= MAX_PLAIN_TOKEN) return `t${plain}`;
  return `h${createHash('sha256').update(topic, 'utf8').digest('base64url')}`;
}

/** The subjects one presence cluster uses; `rsd.<cluster>.` keeps them apart from other clusters on the same NATS. */
export class PresenceSubjects {
  /** Scatter-gather: every presence instance of the cluster answers with its subscribed topics. */
  readonly channels: string;

  constructor(readonly cluster: string) {
    this.channels = `rsd.${cluster}.presence.channels`;
  }

  /** Where `publish(topic)` goes and `subscribe(topic)` listens. */
  topic(topic: string): string {
    return `rsd.${this.cluster}.pub.${topicToken(topic)}`;
  }

  /** Pinged after a push to a list, so blocked `brpop` callers retry at once instead of polling. */
  list(key: string): string {
    return `rsd.${this.cluster}.presence.list.${topicToken(key)}`;
  }
}
