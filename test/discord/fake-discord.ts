/**
 * A loopback fake of Discord for the real discord.js client: the REST API under `/api/v10` (gateway
 * discovery, interaction callbacks, webhook edits, threads, channel messages, command registration)
 * and a WebSocket gateway (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs, dispatches).
 * It records every request, validates every body (see fake-validate.ts), answers 403 where threads
 * are forbidden, enforces per-route rate limits with Discord's headers, and notes every protocol
 * violation in `problems` (tests assert it stays empty).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkMessageLimits, checkNoMentions, createSpecValidator, type SpecValidator } from './fake-validate.js';
import * as P from './fake-payloads.js';
import { createRateLimiter, type RateLimitRule } from './fake-rate-limit.js';
import { readBody, reply, routeOf, send, type Reply } from './fake-http.js';

/** One request the bot made. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** `POST /channels/:id/messages` style. */
  route: string;
  body: Record<string, unknown> | undefined;
  files: { name: string; content: string }[];
  auth: 'bot' | 'none' | 'invalid';
  status: number;
  at: number;
}

interface InteractionState {
  id: string;
  token: string;
  dispatchedAt: number;
  channelId: string;
  callback?: { type: number; at: number };
  originalId?: string;
}

/** Options of {@link startFakeDiscord}. */
export interface FakeDiscordOptions {
  /** Rate limits per route (`POST /channels/:id/messages`), per major parameter. */
  rateLimits?: Record<string, RateLimitRule>;
  /** How long an interaction token works for webhook routes (Discord: 15 minutes). */
  tokenLifetimeMs?: number;
  /** Validate bodies against the spec (default true). */
  validate?: boolean;
  /** Reuse a compiled spec validator across fakes. */
  validator?: SpecValidator;
}

/** A fake (compiled validators are cached, so share one across fakes with `options.validator`). */
export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

const BOT_TOKEN = `${Buffer.from('100000000000000042').toString('base64')}.GfakeA.${'x'.repeat(38)}`;

/** Starts the fake on 127.0.0.1 (port 0). */
export async function startFakeDiscord(options: FakeDiscordOptions = {}) {
  const validator = options.validate === false ? undefined : (options.validator ?? createSpecValidator());
  // Compile the validators of the operations the bot uses now, not while timing its first requests.
  for (const [method, path, multipart] of [
    ['POST', '/interactions/1/t/callback', false],
    ['PATCH', '/webhooks/1/t/messages/@original', false],
    ['POST', '/webhooks/1/t', false],
    ['POST', '/channels/1/messages/2/threads', false],
    ['POST', '/channels/1/messages', false],
    ['POST', '/channels/1/messages', true],
    ['PATCH', '/channels/1/messages/2', false],
  ] as const) {
    validator?.validate(method, path, {}, multipart);
  }
  const limiter = createRateLimiter(options.rateLimits ?? {});
  const tokenLifetimeMs = options.tokenLifetimeMs ?? 15 * 60_000;
  const botUser = P.user('100000000000000042', 'synth-bot', true);
  const applicationId = botUser.id;
  const guildId = '200000000000000001';
  const channelId = '300000000000000001';
  const channels = new Map<string, Record<string, unknown>>([[channelId, P.textChannel(channelId, guildId, 'research')]]);
  const messages = new Map<string, ReturnType<typeof P.message>>();
  const nonces = new Map<string, string>();
  const interactions = new Map<string, InteractionState>();
  const commands = new Map<string, Record<string, unknown>>();
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  /** Users who ran a command, clicked or wrote a message: the only ones an answer may ping. */
  const askers = new Set<string>();
  const forbiddenThreadChannels = new Set<string>();
  const forbiddenSendChannels = new Set<string>();
  const sockets = new Set<{ ws: WebSocket; seq: number; ready: boolean }>();
  let gatewayUrl = '';

  const dispatch = (t: string, d: unknown) => {
    for (const s of sockets) if (s.ready) s.ws.send(JSON.stringify({ op: 0, t, d, s: ++s.seq }));
  };

  const createMessage = (fields: Parameters<typeof P.message>[0]) => {
    const msg = P.message(fields);
    messages.set(msg.id, msg);
    return msg;
  };

  const applyEdit = (msg: ReturnType<typeof P.message>, body: Record<string, unknown>, files: RecordedRequest['files']) => {
    if ('content' in body) msg.content = (body.content as string | null) ?? '';
    if ('embeds' in body) msg.embeds = (body.embeds as unknown[] | null) ?? [];
    if ('components' in body) msg.components = (body.components as unknown[] | null) ?? [];
    if (files.length > 0) msg.attachments = files.map((f) => ({ id: P.snowflake(), filename: f.name, size: f.content.length, url: '', proxy_url: '' }));
    msg.edited_timestamp = new Date().toISOString() as unknown as null;
    return msg;
  };

  const checkBody = (method: string, path: string, route: string, body: Record<string, unknown> | undefined, multipart: boolean): string[] => {
    if (!body || !validator) return [];
    const errors = validator.validate(method, path, body, multipart);
    // A modal (callback type 9) is not a message: its components are text inputs, nothing is posted.
    const modal = route.includes('/callback') && body.type === 9;
    const message = modal ? undefined : route.includes('/callback') ? (body.data as Record<string, unknown> | undefined) : route.includes('/commands') ? undefined : body;
    if (message) {
      errors.push(...checkMessageLimits(message));
      const postsSomething = ['content', 'embeds', 'components'].some((k) => k in message);
      if (postsSomething) errors.push(...checkNoMentions(message, askers));
    }
    return errors;
  };

  const interactionByToken = (token: string) => [...interactions.values()].find((i) => i.token === token);

  const handle = (url: URL, record: RecordedRequest, files: RecordedRequest['files']): Reply => {
    const method = record.method;
    const path = record.path;
    const body = record.body ?? {};
    const parts = path.split('/').filter(Boolean);
    const needBot = !path.startsWith('/interactions/') && !path.startsWith('/webhooks/');
    if (needBot && record.auth !== 'bot') return reply(401, { message: '401: Unauthorized', code: 0 });

    if (method === 'GET' && path === '/gateway/bot') {
      return reply(200, { url: gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'POST' && parts[0] === 'interactions' && parts[3] === 'callback') {
      const interaction = interactions.get(parts[1]!);
      if (!interaction || interaction.token !== parts[2]) return reply(404, { message: 'Unknown interaction', code: 10062 });
      if (interaction.callback) return reply(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      if (Date.now() - interaction.dispatchedAt > 3000) {
        problems.push(`interaction ${interaction.id} answered after 3 s`);
        return reply(404, { message: 'Unknown interaction', code: 10062 });
      }
      const type = body.type as number;
      interaction.callback = { type, at: record.at };
      const data = (body.data as Record<string, unknown> | undefined) ?? {};
      if (type === 4 || type === 5) {
        const msg = createMessage({ id: P.snowflake(), channelId: interaction.channelId, guildId, author: botUser, content: (data.content as string) ?? '', embeds: (data.embeds as unknown[]) ?? [], components: (data.components as unknown[]) ?? [], flags: ((data.flags as number) ?? 0) | (type === 5 ? 128 : 0), applicationId, webhookId: applicationId });
        interaction.originalId = msg.id;
      } else if (type === 7 && interaction.originalId) applyEdit(messages.get(interaction.originalId)!, data, files);
      if (url.searchParams.get('with_response') === 'true') {
        const original = interaction.originalId ? messages.get(interaction.originalId) : undefined;
        return reply(200, { interaction: { id: interaction.id, type: 2, response_message_id: original?.id, response_message_loading: type === 5, response_message_ephemeral: false }, resource: { type, ...(original ? { message: original } : {}) } });
      }
      return reply(204);
    }
    if (parts[0] === 'webhooks') {
      const interaction = interactionByToken(parts[2]!);
      if (!interaction || parts[1] !== applicationId) return reply(404, { message: 'Unknown Webhook', code: 10015 });
      if (Date.now() - interaction.dispatchedAt > tokenLifetimeMs) {
        problems.push(`${method} ${record.route} with an expired interaction token`);
        return reply(401, { message: 'Invalid Webhook Token', code: 50027 });
      }
      if (parts.length === 3 && method === 'POST') {
        const msg = createMessage({ id: P.snowflake(), channelId: interaction.channelId, guildId, author: botUser, content: (body.content as string) ?? '', embeds: (body.embeds as unknown[]) ?? [], components: (body.components as unknown[]) ?? [], flags: (body.flags as number) ?? 0, applicationId, webhookId: applicationId });
        return reply(200, msg);
      }
      const id = parts[4] === '@original' ? interaction.originalId : parts[4];
      const msg = id ? messages.get(id) : undefined;
      if (!msg) return reply(404, { message: 'Unknown Message', code: 10008 });
      if (method === 'GET') return reply(200, msg);
      if (method === 'PATCH') {
        applyEdit(msg, body, files);
        if (msg.flags & 128) msg.flags &= ~128;
        return reply(200, msg);
      }
    }
    if (parts[0] === 'channels') {
      const channel = channels.get(parts[1]!);
      if (!channel) return reply(404, { message: 'Unknown Channel', code: 10003 });
      if (method === 'POST' && parts[2] === 'messages' && parts[4] === 'threads') {
        if (forbiddenThreadChannels.has(channel.id as string)) return reply(403, { message: 'Missing Permissions', code: 50013 });
        if (channel.type === 11 || channel.type === 12) return reply(400, { message: 'Cannot execute action on this channel type', code: 50024 });
        const parent = messages.get(parts[3]!);
        if (!parent) return reply(404, { message: 'Unknown Message', code: 10008 });
        // A thread started from a message has the message's id.
        const t = P.thread(parent.id, guildId, channel.id as string, botUser.id, body.name as string, (body.auto_archive_duration as number) ?? 1440);
        channels.set(t.id, t);
        dispatch('THREAD_CREATE', { ...t, newly_created: true });
        return reply(201, t);
      }
      if (method === 'POST' && parts[2] === 'messages' && parts.length === 3) {
        if (forbiddenSendChannels.has(channel.id as string)) return reply(403, { message: 'Missing Permissions', code: 50013 });
        const ref = body.message_reference as { message_id: string } | undefined;
        // An enforced nonce already used in this channel returns the message it created (Discord keeps them a few minutes).
        const nonceKey = body.enforce_nonce === true && body.nonce !== undefined ? `${channel.id as string}:${String(body.nonce)}` : undefined;
        const earlier = nonceKey ? nonces.get(nonceKey) : undefined;
        if (earlier && messages.get(earlier)) return reply(200, messages.get(earlier));
        const msg = createMessage({ id: P.snowflake(), channelId: channel.id as string, guildId, author: botUser, content: (body.content as string) ?? '', embeds: (body.embeds as unknown[]) ?? [], components: (body.components as unknown[]) ?? [], attachments: files.map((f) => ({ id: P.snowflake(), filename: f.name, size: f.content.length })), ...(ref ? { messageReference: { message_id: ref.message_id } } : {}) });
        if (nonceKey) nonces.set(nonceKey, msg.id);
        dispatch('MESSAGE_CREATE', { ...msg, member: { ...P.member(botUser), user: undefined } });
        return reply(200, msg);
      }
      if (method === 'PATCH' && parts[2] === 'messages' && parts.length === 4) {
        const msg = messages.get(parts[3]!);
        if (!msg || msg.channel_id !== channel.id) return reply(404, { message: 'Unknown Message', code: 10008 });
        if (msg.author.id !== botUser.id) return reply(403, { message: 'Cannot edit a message authored by another user', code: 50005 });
        return reply(200, applyEdit(msg, body, files));
      }
    }
    if (method === 'PUT' && parts[0] === 'applications' && parts[1] === applicationId && parts.at(-1) === 'commands') {
      const scope = parts[2] === 'guilds' ? parts[3]! : 'global';
      const stored = (record.body as unknown as Record<string, unknown>[]).map((c) => {
        const key = `${scope}:${c.name as string}`;
        const existing = commands.get(key);
        const next = { ...c, id: (existing?.id as string) ?? P.snowflake(), application_id: applicationId, version: P.snowflake(), ...(scope === 'global' ? {} : { guild_id: scope }) };
        commands.set(key, next);
        return next;
      });
      return reply(200, stored);
    }
    return reply(404, { message: '404: Not Found', code: 0 });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      if (!url.pathname.startsWith('/api/v10/')) return send(res, reply(404, { message: '404: Not Found', code: 0 }));
      const path = decodeURIComponent(url.pathname.slice('/api/v10'.length));
      const { route, major } = routeOf(method, path);
      const authHeader = req.headers.authorization;
      const auth = authHeader === undefined ? 'none' : authHeader === `Bot ${BOT_TOKEN}` ? 'bot' : 'invalid';
      let parsed: Awaited<ReturnType<typeof readBody>>;
      try {
        parsed = await readBody(req);
      } catch (error) {
        problems.push(`${route}: unreadable body (${(error as Error).message})`);
        return send(res, reply(400, { message: 'Invalid body', code: 50109 }));
      }
      const record: RecordedRequest = { method, path, route, body: parsed.body, files: parsed.files, auth, status: 0, at: Date.now() };
      requests.push(record);
      const limit = limiter.check(route, major, record.at);
      if (limit.violation) problems.push(`${route} (${major}) sent ${limit.violation} ms before the reset of a 429`);
      if (limit.status === 429) {
        record.status = 429;
        return send(res, reply(429, limit.body, limit.headers));
      }
      let errors: string[];
      try {
        errors = checkBody(method, path, route, parsed.body, parsed.multipart);
      } catch (error) {
        errors = [(error as Error).message];
      }
      if (errors.length > 0) {
        problems.push(`${route}: ${errors.join('; ')}`);
        record.status = 400;
        return send(res, reply(400, { message: 'Invalid Form Body', code: 50035, errors }));
      }
      const result = handle(url, record, parsed.files);
      record.status = result.status;
      send(res, { ...result, headers: { ...result.headers, ...limit.headers } });
    })().catch((error: unknown) => {
      problems.push(`fake crashed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) send(res, reply(500, { message: 'fake error', code: 0 }));
    });
  });

  const wss = new WebSocketServer({ server, path: '/gateway' });
  wss.on('connection', (ws) => {
    const socket = { ws, seq: 0, ready: false };
    sockets.add(socket);
    ws.on('close', () => sockets.delete(socket));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    ws.on('message', (raw) => {
      const packet = JSON.parse(raw.toString()) as { op: number; d: Record<string, unknown> };
      if (packet.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (packet.op === 2) {
        if (packet.d.token !== BOT_TOKEN) return ws.close(4004, 'Authentication failed.');
        socket.ready = true;
        const send = (t: string, d: unknown) => ws.send(JSON.stringify({ op: 0, t, d, s: ++socket.seq }));
        send('READY', { v: 10, user: { ...botUser, verified: true, mfa_enabled: false }, guilds: [{ id: guildId, unavailable: true }], session_id: randomBytes(16).toString('hex'), resume_gateway_url: gatewayUrl, shard: [0, 1], application: { id: applicationId, flags: 0 }, private_channels: [], presences: [], relationships: [], user_settings: {}, guild_join_requests: [], geo_ordered_rtc_regions: [] });
        send('GUILD_CREATE', P.guild(guildId, [...channels.values()].filter((c) => c.type === 0), botUser));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  const humanUser = (id: string) => P.user(id, `user${id.slice(-4)}`);
  const newInteraction = (channel: string) => {
    const state: InteractionState = { id: P.snowflake(), token: `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`, dispatchedAt: Date.now(), channelId: channel };
    interactions.set(state.id, state);
    return state;
  };
  const interactionBase = (state: InteractionState, userId: string, type: number) => {
    const channel = channels.get(state.channelId)!;
    return { id: state.id, application_id: applicationId, type, token: state.token, version: 1, guild_id: guildId, channel_id: state.channelId, channel, member: P.member(humanUser(userId)), app_permissions: P.ALL_PERMISSIONS, locale: 'en-US', guild_locale: 'en-US', entitlements: [], authorizing_integration_owners: { '0': guildId }, context: 0, attachment_size_limit: 10_485_760 };
  };

  return {
    /** Users who may be pinged (they asked, clicked or wrote); a restarted bot's fake inherits them. */
    askers,
    apiUrl: `http://127.0.0.1:${port}/api`,
    token: BOT_TOKEN,
    applicationId,
    botUser,
    guildId,
    channelId,
    requests,
    problems,
    messages,
    channels,
    commands,
    interactions,
    limiter,
    /** Answers 403 Missing Permissions to thread creation in this channel. */
    forbidThreads(channel: string) {
      forbiddenThreadChannels.add(channel);
    },
    /** Answers 403 Missing Permissions to thread creation and messages in this channel (no Send Messages). */
    forbidSending(channel: string) {
      forbiddenThreadChannels.add(channel);
      forbiddenSendChannels.add(channel);
    },
    /**
     * Dispatches `/synthesize` as INTERACTION_CREATE; returns the interaction's id and token.
     * `rawOptions` replaces the options as sent (a client or proxy sending the wrong types).
     */
    dispatchCommand(opts: {
      question: string;
      userId?: string;
      channelId?: string;
      yearFrom?: number;
      yearTo?: number;
      maxPapers?: number;
      rawOptions?: { name: string; type: number; value: unknown }[];
    }) {
      const state = newInteraction(opts.channelId ?? channelId);
      askers.add(opts.userId ?? '400000000000000001');
      const options: { name: string; type: number; value: unknown }[] = [{ name: 'question', type: 3, value: opts.question }];
      if (opts.yearFrom !== undefined) options.push({ name: 'year_from', type: 4, value: opts.yearFrom });
      if (opts.yearTo !== undefined) options.push({ name: 'year_to', type: 4, value: opts.yearTo });
      if (opts.maxPapers !== undefined) options.push({ name: 'max_papers', type: 4, value: opts.maxPapers });
      const data = { id: '500000000000000001', name: 'synthesize', type: 1, guild_id: guildId, options: opts.rawOptions ?? options };
      dispatch('INTERACTION_CREATE', { ...interactionBase(state, opts.userId ?? '400000000000000001', 2), data });
      return state;
    },
    /** Dispatches a click on a button (or a select menu choice) of a stored message. */
    dispatchComponent(opts: { messageId: string; customId: string; values?: string[]; userId?: string }) {
      const msg = messages.get(opts.messageId);
      if (!msg) throw new Error(`no message ${opts.messageId}`);
      const state = newInteraction(msg.channel_id);
      state.originalId = msg.id;
      askers.add(opts.userId ?? '400000000000000001');
      const data = opts.values ? { custom_id: opts.customId, component_type: 3, values: opts.values } : { custom_id: opts.customId, component_type: 2 };
      dispatch('INTERACTION_CREATE', { ...interactionBase(state, opts.userId ?? '400000000000000001', 3), message: msg, data });
      return state;
    },
    /** A user submits a modal the bot showed (`MODAL_SUBMIT`, interaction type 5) with its text inputs' values. */
    dispatchModalSubmit(opts: { customId: string; values: Record<string, string>; userId?: string; channelId?: string }) {
      const state = newInteraction(opts.channelId ?? channelId);
      askers.add(opts.userId ?? '400000000000000001');
      const components = Object.entries(opts.values).map(([custom_id, value]) => ({ type: 1, components: [{ type: 4, custom_id, value }] }));
      dispatch('INTERACTION_CREATE', { ...interactionBase(state, opts.userId ?? '400000000000000001', 5), data: { custom_id: opts.customId, components } });
      return state;
    },
    /**
     * Dispatches an interaction of any type with the given `data` (another command, a context-menu
     * command, a modal submit, another component type), on a stored message when `messageId` is given.
     */
    dispatchInteraction(opts: { type: number; data: Record<string, unknown>; userId?: string; channelId?: string; messageId?: string }) {
      const msg = opts.messageId ? messages.get(opts.messageId) : undefined;
      const state = newInteraction(msg?.channel_id ?? opts.channelId ?? channelId);
      if (msg) state.originalId = msg.id;
      askers.add(opts.userId ?? '400000000000000001');
      dispatch('INTERACTION_CREATE', { ...interactionBase(state, opts.userId ?? '400000000000000001', opts.type), ...(msg ? { message: msg } : {}), data: opts.data });
      return state;
    },
    /** A user posts a message (e.g. mentioning the bot) as MESSAGE_CREATE. */
    dispatchMessage(opts: { content: string; userId?: string; channelId?: string }) {
      const author = humanUser(opts.userId ?? '400000000000000001');
      askers.add(author.id);
      const mentions = opts.content.includes(`<@${botUser.id}>`) ? [botUser] : [];
      const msg = createMessage({ id: P.snowflake(), channelId: opts.channelId ?? channelId, guildId, author, content: opts.content, mentions });
      const { user: _omit, ...partialMember } = P.member(author);
      dispatch('MESSAGE_CREATE', { ...msg, member: partialMember });
      return msg;
    },
    /** Requests whose route matches. */
    calls(route: string | RegExp) {
      return requests.filter((r) => (typeof route === 'string' ? r.route === route : route.test(r.route)));
    },
    /** Polls until `predicate` holds (or throws after `timeoutMs`). */
    async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
      const start = Date.now();
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() - start > timeoutMs) throw new Error(`waitFor timed out; problems: ${problems.join(' | ') || 'none'}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const s of sockets) s.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
