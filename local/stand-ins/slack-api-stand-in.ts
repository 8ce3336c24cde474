/**
 * A Slack Web API stand-in on 127.0.0.1: `chat.postMessage`, `chat.update` and `auth.test`, taking form or
 * JSON bodies as `@slack/web-api` and other clients send them, checking the bearer token and Block Kit limits,
 * answering like Slack (HTTP 200 with `ok: false` for API errors, 429 with Retry-After when rate limited) and
 * keeping each message's latest state. It can be scripted to fail the next calls. Point `slackApiUrl` at `url`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, listenLocal, Recording, Script, sendJson } from './http-server.ts';
import { checkMessage } from './slack-block-limits.ts';

/** One API call as received, with the answer given. */
export interface SlackApiCall {
  readonly method: string;
  /** The arguments, JSON-valued fields (`blocks`, `metadata`) parsed. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly response: Readonly<Record<string, unknown>>;
  readonly at: number;
}

/** A message's latest state, and every earlier rendering. */
export interface SlackStoredMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[] | undefined;
  metadata: unknown;
  readonly postedAt: number;
  updatedAt: number | undefined;
  /** Earlier renderings, oldest first (the post, then each update but the last). */
  readonly history: { readonly text: string; readonly blocks: unknown[] | undefined }[];
  deleted: boolean;
}

/** A scripted answer for the next matching calls. */
export type SlackFault =
  /** HTTP 429 with `Retry-After: retryAfterSeconds` and `{ok: false, error: 'ratelimited'}`. */
  | { readonly kind: 'ratelimited'; readonly retryAfterSeconds: number }
  /** HTTP 200 with `{ok: false, error}`, e.g. `channel_not_found`, `not_in_channel`, `invalid_auth`. */
  | { readonly kind: 'error'; readonly error: string }
  /** A bare HTTP status, e.g. 503. */
  | { readonly kind: 'http'; readonly status: number }
  /** Waits `ms` before handling the call normally (a transport's timeout then meets a message that exists). */
  | { readonly kind: 'delay'; readonly ms: number };

/** Which calls a fault applies to; all when empty. */
export interface SlackFaultFilter {
  readonly method?: string;
  readonly channel?: string;
}

/** Construction options of {@link startSlackApiStandIn}. */
export interface SlackApiStandInOptions {
  /** The bot token calls must carry; `xoxb-local-stand-in` by default. */
  readonly token?: string;
  /** Known channels, name (without #) to ID. */
  readonly channels?: Readonly<Record<string, string>>;
  /** Accept any other channel: names get a stable generated ID, IDs are taken as they are. True by default. */
  readonly autoCreateChannels?: boolean;
  readonly now?: () => number;
}

/** A running Slack API stand-in. */
export interface SlackApiStandIn {
  /** The `slackApiUrl` to give the WebClient, ending in `/api/`. */
  readonly url: string;
  readonly token: string;
  readonly calls: readonly SlackApiCall[];
  /** Latest state of every message (deleted ones included, marked), oldest first; one channel's if given. */
  messages(channel?: string): SlackStoredMessage[];
  message(channel: string, ts: string): SlackStoredMessage | undefined;
  /** The ID a channel name or ID resolves to, if known. */
  channelId(channel: string): string | undefined;
  /** The next `count` matching calls get `fault`. */
  failNext(fault: SlackFault, count?: number, filter?: SlackFaultFilter): void;
  /** Marks a message deleted: a later `chat.update` gets `message_not_found`. */
  deleteMessage(channel: string, ts: string): void;
  /** Tells `listener` of each call as it is answered; returns the unsubscribe function. */
  onCall(listener: (call: SlackApiCall) => void): () => void;
  stop(): Promise<void>;
}

const BOT = { user: 'U0LOCALBOT', bot_id: 'B0LOCALBOT', app_id: 'A0LOCALAPP', team: 'T0LOCAL' };
const AUTH_TEST = {
  ok: true,
  url: 'https://seismo-local.slack.com/',
  team: 'Seismo local',
  user: 'seismo',
  team_id: BOT.team,
  user_id: BOT.user,
  bot_id: BOT.bot_id,
};
const JSON_FIELDS = ['blocks', 'metadata', 'attachments'] as const;
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;

/** Starts the stand-in on a free loopback port. */
export async function startSlackApiStandIn(options: SlackApiStandInOptions = {}): Promise<SlackApiStandIn> {
  const token = options.token ?? 'xoxb-local-stand-in';
  const now = options.now ?? Date.now;
  const autoCreate = options.autoCreateChannels ?? true;
  const byName = new Map(Object.entries(options.channels ?? {}));
  const ids = new Set(byName.values());
  const stored = new Map<string, SlackStoredMessage>();
  const recording = new Recording<SlackApiCall>();
  const faults = new Script<{ fault: SlackFault; filter: SlackFaultFilter }>();
  let sequence = 0;

  const resolveChannel = (channel: unknown): string | undefined => {
    if (typeof channel !== 'string' || channel === '') return undefined;
    const name = channel.replace(/^#/, '');
    if (ids.has(channel)) return channel;
    const known = byName.get(name);
    if (known) return known;
    if (!autoCreate) return undefined;
    const id = CHANNEL_ID.test(channel)
      ? channel
      : `C${createHash('sha256').update(name).digest('hex').slice(0, 10).toUpperCase()}`;
    if (!CHANNEL_ID.test(channel)) byName.set(name, id);
    ids.add(id);
    return id;
  };

  const handle = async (method: string, args: Record<string, unknown>): Promise<[number, Json, Json?]> => {
    const fault = faults.take(({ filter }) => matches(filter, method, args.channel, resolveChannel));
    if (fault) {
      const f = fault.fault;
      if (f.kind === 'ratelimited') {
        return [429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(f.retryAfterSeconds) }];
      }
      if (f.kind === 'error') return [200, { ok: false, error: f.error }];
      if (f.kind === 'http') return [f.status, { ok: false, error: `http_${f.status}` }];
      await delay(f.ms);
    }
    if (method === 'auth.test') return [200, AUTH_TEST];
    const channel = resolveChannel(args.channel);
    if (!channel) return [200, { ok: false, error: 'channel_not_found' }];
    const refusal = checkMessage(args.text, args.blocks);
    if (refusal) {
      return [200, { ok: false, error: refusal.error, response_metadata: { messages: refusal.messages } }];
    }
    const text = typeof args.text === 'string' ? args.text : '';
    const blocks = args.blocks as unknown[] | undefined;
    if (method === 'chat.postMessage') {
      sequence += 1;
      const ts = `${Math.floor(now() / 1000)}.${String(sequence).padStart(6, '0')}`;
      const message: SlackStoredMessage = {
        channel,
        ts,
        text,
        blocks,
        metadata: args.metadata,
        postedAt: now(),
        updatedAt: undefined,
        history: [],
        deleted: false,
      };
      stored.set(`${channel}/${ts}`, message);
      return [200, { ok: true, channel, ts, message: { type: 'message', text, blocks, ts, ...BOT } }];
    }
    // chat.update
    const ts = String(args.ts ?? '');
    const message = stored.get(`${channel}/${ts}`);
    if (!message || message.deleted) return [200, { ok: false, error: 'message_not_found' }];
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = text;
    message.blocks = blocks;
    if (args.metadata !== undefined) message.metadata = args.metadata;
    message.updatedAt = now();
    return [200, { ok: true, channel, ts, text, message: { type: 'message', text, blocks, ...BOT } }];
  };

  const server = await listenLocal(async (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !['chat.postMessage', 'chat.update', 'auth.test'].includes(method)) {
      sendJson(res, 404, { ok: false, error: 'unknown_method' });
      return;
    }
    const parsed = parseArgs(req.headers['content-type'], body);
    let answer: [number, Json, Json?];
    if ('error' in parsed) answer = [200, { ok: false, error: parsed.error }];
    else if (!parsed.token && !bearer(req)) answer = [200, { ok: false, error: 'not_authed' }];
    else if ((bearer(req) ?? parsed.token) !== token) answer = [200, { ok: false, error: 'invalid_auth' }];
    else answer = await handle(method, parsed.args);
    const [status, response, headers] = answer;
    sendJson(res, status, response, (headers ?? {}) as Record<string, string>);
    const args = 'args' in parsed ? parsed.args : {};
    recording.add({ method, args, status, response, at: now() });
  });

  return {
    url: `${server.origin}/api/`,
    token,
    get calls() {
      return recording.all;
    },
    messages: (channel) => {
      const id = channel === undefined ? undefined : resolveChannel(channel);
      return [...stored.values()].filter((m) => id === undefined || m.channel === id);
    },
    message: (channel, ts) => stored.get(`${resolveChannel(channel)}/${ts}`),
    channelId: (channel) => resolveChannel(channel),
    failNext: (fault, count = 1, filter = {}) => faults.push({ fault, filter }, count),
    deleteMessage: (channel, ts) => {
      const message = stored.get(`${resolveChannel(channel)}/${ts}`);
      if (message) message.deleted = true;
    },
    onCall: (listener) => recording.listen(listener),
    stop: () => server.close(),
  };
}

type Json = Record<string, unknown>;

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

/** Form (`@slack/web-api`'s way, JSON-valued fields as strings) or JSON bodies, as Slack takes both. */
function parseArgs(
  contentType: string | undefined,
  body: Buffer,
): { args: Json; token?: string } | { error: string } {
  const text = body.toString('utf8');
  let args: Json;
  if (contentType?.startsWith('application/json')) {
    try {
      args = JSON.parse(text) as Json;
    } catch {
      return { error: 'invalid_json' };
    }
  } else {
    args = Object.fromEntries(new URLSearchParams(text));
    for (const field of JSON_FIELDS) {
      const value = args[field];
      if (typeof value !== 'string') continue;
      try {
        args[field] = JSON.parse(value);
      } catch {
        return { error: field === 'blocks' ? 'invalid_blocks_format' : `invalid_${field}_format` };
      }
    }
  }
  const { token, ...rest } = args;
  return typeof token === 'string' ? { args: rest, token } : { args: rest };
}

function matches(
  filter: SlackFaultFilter,
  method: string,
  channel: unknown,
  resolve: (channel: unknown) => string | undefined,
): boolean {
  if (filter.method !== undefined && filter.method !== method) return false;
  return filter.channel === undefined || resolve(filter.channel) === resolve(channel);
}
