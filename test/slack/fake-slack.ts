/**
 * A loopback fake of Slack's Web API for tests and the bench: a `node:http` server on 127.0.0.1 that
 * answers like Slack (`ok`, `ts`, `channel`, errors such as `not_in_channel` and `invalid_blocks`, 429
 * with `Retry-After`), keeps the messages so a thread can be read back, records every call, checks
 * every `blocks` payload against the Block Kit schema and every call's parameters against Slack's
 * OpenAPI spec, and can enforce Slack's published rate limits with token buckets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockProblems, paramProblems } from './block-kit.js';

/** One recorded call. */
export interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  /** ms since the fake started. */
  at: number;
  /** What the fake answered: 200, or 429 when rate limited. */
  status: number;
  error?: string;
}

/** A message as the fake keeps it. */
export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: Record<string, unknown>[];
  /** Message metadata as posted (https://docs.slack.dev/messaging/message-metadata). */
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  edits: number;
}

/**
 * A call the fake holds without answering (the bot's process can then be killed with the call in
 * flight): `before` it takes effect, or `after` (the message exists, the bot never hears so).
 */
export interface HoldRule {
  method: string;
  /** Which messages: by the start of their text, or by their metadata key's suffix (`:parent`, `:answer`). */
  textStartsWith?: string;
  keySuffix?: string;
  when: 'before' | 'after';
}

/** A token bucket: `capacity` calls at once, refilled at `perSecond`. */
export interface Bucket {
  capacity: number;
  perSecond: number;
}

/** Options of {@link createFakeSlack}. */
export interface FakeSlackOptions {
  token?: string;
  botUserId?: string;
  /** Channels the bot is not a member of: posting there fails with `not_in_channel`. */
  notMember?: string[];
  /** Enforce Slack's limits: 429 with Retry-After when a bucket is empty. */
  limits?: { postPerChannel: Bucket; update: Bucket };
  /** Artificial latency per call, in ms. */
  latencyMs?: number;
  /** Socket Mode: the app-level token `apps.connections.open` accepts, and the WebSocket URL it returns. */
  socketMode?: { appToken: string; url: () => string };
  /** Check payloads against the Block Kit schema and the OpenAPI spec (default true; the bench turns it off to stay light). */
  validate?: boolean;
}

/** Slack's published limits as buckets: postMessage ~1/s/channel with a short burst, chat.update Tier 3 ~50/min. */
export const SLACK_LIKE_LIMITS = {
  postPerChannel: { capacity: 4, perSecond: 1 },
  update: { capacity: 10, perSecond: 50 / 60 },
};

/** The running fake. */
export interface FakeSlack {
  /** Web API base URL, for `SLACK_API_URL`. */
  apiUrl: string;
  /** Base URL of the fake (response_url endpoints live under it). */
  baseUrl: string;
  /** `Date.now()` when the fake started; `FakeCall.at` counts from here. */
  startedAt: number;
  calls: FakeCall[];
  /** Every blocks/parameter problem seen (tests expect none). */
  problems: string[];
  /** Bodies posted to response URLs (`id` is the URL's path after /response/). */
  responses: { id: string; body: Record<string, unknown> }[];
  /** Uploaded file contents by filename. */
  files: Map<string, string>;
  messages: Map<string, FakeMessage>;
  /** Messages of a thread (the parent first), in order. */
  thread(channel: string, threadTs: string): FakeMessage[];
  /** Calls of a method. */
  callsOf(method: string): FakeCall[];
  /** Modals opened with `views.open`, in order. */
  views: Record<string, unknown>[];
  /** Holds the next call matching `rule` unanswered (for crash tests and the chaos bench). */
  holdNext(rule: HoldRule): void;
  /** Makes the next call of `method` fail with a Slack error, or a 429. */
  failNext(method: string, failure: { error: string } | { status: 429; retryAfter: number }): void;
  /** Resolves when `predicate` holds (checked after each call and every 20 ms). */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = req.headers['content-type'] ?? '';
  const args: Record<string, unknown> = type.includes('application/json')
    ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  for (const key of ['blocks', 'files', 'attachments', 'metadata', 'view']) {
    if (typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
  }
  return args;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
};

/** Starts the fake. */
export async function createFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = options.token ?? 'xoxb-test-token';
  const botUserId = options.botUserId ?? 'UBOT';
  const notMember = new Set(options.notMember ?? []);
  const started = Date.now();
  const calls: FakeCall[] = [];
  const problems: string[] = [];
  const responses: FakeSlack['responses'] = [];
  const files = new Map<string, string>();
  const messages = new Map<string, FakeMessage>();
  const failures = new Map<string, ({ error: string } | { status: 429; retryAfter: number })[]>();
  const holds: HoldRule[] = [];
  const views: Record<string, unknown>[] = [];
  const holding = (method: string, args: Record<string, unknown>, when: HoldRule['when']) => {
    const index = holds.findIndex((rule) => {
      if (rule.method !== method || rule.when !== when) return false;
      if (rule.textStartsWith !== undefined && !String(args.text ?? '').startsWith(rule.textStartsWith)) return false;
      const key = (args.metadata as { event_payload?: { key?: unknown } } | undefined)?.event_payload?.key;
      return rule.keySuffix === undefined || (typeof key === 'string' && key.endsWith(rule.keySuffix));
    });
    if (index < 0) return false;
    holds.splice(index, 1);
    return true;
  };
  const waiters = new Set<() => void>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let counter = 0;
  let uploadCounter = 0;
  const pendingUploads = new Map<string, string>();
  let baseUrl = '';

  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;

  const take = (key: string, bucket: Bucket): boolean => {
    const now = Date.now();
    const state = buckets.get(key) ?? { tokens: bucket.capacity, at: now };
    state.tokens = Math.min(bucket.capacity, state.tokens + ((now - state.at) / 1000) * bucket.perSecond);
    state.at = now;
    buckets.set(key, state);
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  };

  const checkBlocks = (method: string, args: Record<string, unknown>): boolean => {
    if (args.blocks === undefined || options.validate === false) return true;
    const found = blockProblems(args.blocks);
    problems.push(...found.map((p) => `${method}: ${p}`));
    return found.length === 0;
  };

  const handleMethod = (method: string, args: Record<string, unknown>): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } => {
    const scripted = failures.get(method)?.shift();
    if (scripted && 'status' in scripted) {
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(scripted.retryAfter) } };
    }
    if (scripted) return { status: 200, body: { ok: false, error: scripted.error } };
    if (options.limits) {
      const limited =
        (method === 'chat.postMessage' && !take(`post:${String(args.channel)}`, options.limits.postPerChannel)) ||
        (method === 'chat.update' && !take('update', options.limits.update));
      if (limited) return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
    }
    const channel = String(args.channel ?? args.channel_id ?? '');
    switch (method) {
      case 'auth.test':
        return { status: 200, body: { ok: true, url: 'https://fake-workspace.slack.com/', team: 'Fake Workspace', user: 'synthesize', team_id: 'T0FAKE', user_id: botUserId, bot_id: 'B0FAKE' } };
      case 'chat.postMessage': {
        if (notMember.has(channel)) return { status: 200, body: { ok: false, error: 'not_in_channel' } };
        if (!args.text && !args.blocks) return { status: 200, body: { ok: false, error: 'no_text' } };
        if (!checkBlocks(method, args)) return { status: 200, body: { ok: false, error: 'invalid_blocks' } };
        const ts = nextTs();
        const message: FakeMessage = { channel, ts, text: String(args.text ?? ''), edits: 0 };
        if (args.thread_ts) message.thread_ts = String(args.thread_ts);
        if (args.blocks) message.blocks = args.blocks as Record<string, unknown>[];
        if (args.metadata && typeof args.metadata === 'object') message.metadata = args.metadata as FakeMessage['metadata'] & object;
        messages.set(ts, message);
        return {
          status: 200,
          body: { ok: true, channel, ts, message: { type: 'message', subtype: 'bot_message', bot_id: 'B0FAKE', text: message.text, ts, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) } },
        };
      }
      case 'chat.update': {
        const message = messages.get(String(args.ts));
        if (!message || message.channel !== channel) return { status: 200, body: { ok: false, error: 'message_not_found' } };
        if (!checkBlocks(method, args)) return { status: 200, body: { ok: false, error: 'invalid_blocks' } };
        message.text = String(args.text ?? message.text);
        if (args.blocks) message.blocks = args.blocks as Record<string, unknown>[];
        message.edits++;
        return { status: 200, body: { ok: true, channel, ts: message.ts, text: message.text, message: { text: message.text, user: botUserId } } };
      }
      case 'chat.postEphemeral':
        if (notMember.has(channel)) return { status: 200, body: { ok: false, error: 'not_in_channel' } };
        if (!checkBlocks(method, args)) return { status: 200, body: { ok: false, error: 'invalid_blocks' } };
        return { status: 200, body: { ok: true, message_ts: nextTs() } };
      case 'assistant.threads.setStatus':
        return { status: 200, body: { ok: true } };
      case 'views.open': {
        const view = args.view as { blocks?: unknown } | undefined;
        if (!args.trigger_id || !view) return { status: 200, body: { ok: false, error: 'invalid_arguments' } };
        if (view.blocks !== undefined && options.validate !== false) {
          const found = blockProblems(view.blocks);
          problems.push(...found.map((p) => `views.open: ${p}`));
          if (found.length > 0) return { status: 200, body: { ok: false, error: 'invalid_blocks' } };
        }
        views.push(view as Record<string, unknown>);
        return { status: 200, body: { ok: true, view: { id: `V${String(views.length).padStart(8, '0')}`, ...view } } };
      }
      case 'conversations.replies':
      case 'conversations.history': {
        if (notMember.has(channel)) return { status: 200, body: { ok: false, error: 'not_in_channel' } };
        const ts = String(args.ts ?? '');
        const all = [...messages.values()].filter((m) => m.channel === channel && (method === 'conversations.replies' ? m.ts === ts || m.thread_ts === ts : !m.thread_ts || m.thread_ts === m.ts));
        // Replies oldest first; history newest first (as Slack lists them).
        const listed = (method === 'conversations.history' ? all.reverse() : all).slice(0, Number(args.limit ?? 100));
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        return {
          status: 200,
          body: {
            ok: true,
            messages: listed.map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}) })),
            has_more: false,
          },
        };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(++uploadCounter).padStart(8, '0')}`;
        pendingUploads.set(id, String(args.filename));
        return { status: 200, body: { ok: true, upload_url: `${baseUrl}/upload/${id}`, file_id: id } };
      }
      case 'files.completeUploadExternal': {
        const list = (args.files as { id: string; title?: string }[] | undefined) ?? [];
        if (notMember.has(channel)) return { status: 200, body: { ok: false, error: 'not_in_channel' } };
        return { status: 200, body: { ok: true, files: list.map((f) => ({ id: f.id, title: f.title ?? '', name: pendingUploads.get(f.id) })) } };
      }
      default:
        return { status: 200, body: { ok: false, error: 'unknown_method' } };
    }
  };

  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      if (url.pathname.startsWith('/upload/')) {
        const id = url.pathname.slice('/upload/'.length);
        const name = pendingUploads.get(id);
        if (!name) return json(res, 404, { ok: false });
        // The WebClient sends the file as multipart form data; keep the text part.
        const text = body.toString('utf8');
        const start = text.indexOf('\r\n\r\n');
        const end = text.lastIndexOf('\r\n--');
        files.set(name, start >= 0 && end > start ? text.slice(start + 4, end) : text);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${body.length}`);
        return;
      }
      if (url.pathname.startsWith('/response/')) {
        // Response URLs of clicks are /response/<channel>/<message ts>/<n>, so a replacement can be applied.
        const [first, second] = url.pathname.slice('/response/'.length).split('/');
        const payload = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        responses.push({ id: url.pathname.slice('/response/'.length), body: payload });
        if (payload.blocks !== undefined) {
          const found = blockProblems(payload.blocks);
          problems.push(...found.map((p) => `response_url: ${p}`));
        }
        const target = second ? messages.get(second) : undefined;
        if (payload.replace_original === true && target && target.channel === first) {
          target.text = String(payload.text ?? target.text);
          if (payload.blocks) target.blocks = payload.blocks as Record<string, unknown>[];
          target.edits++;
        }
        notify();
        return json(res, 200, { ok: true });
      }
      if (!url.pathname.startsWith('/api/')) return json(res, 404, { ok: false, error: 'not_found' });
      const method = url.pathname.slice('/api/'.length);
      const args = parseArgs(req, body);
      const auth = req.headers.authorization;
      let answer: ReturnType<typeof handleMethod>;
      if (method === 'apps.connections.open' && options.socketMode) {
        answer =
          auth === `Bearer ${options.socketMode.appToken}`
            ? { status: 200, body: { ok: true, url: options.socketMode.url() } }
            : { status: 200, body: { ok: false, error: 'invalid_auth' } };
      } else if (auth !== `Bearer ${token}`) answer = { status: 200, body: { ok: false, error: auth ? 'invalid_auth' : 'not_authed' } };
      else {
        if (options.validate !== false) problems.push(...paramProblems(method, args));
        // A held call is never answered: the bot's process is killed with it in flight.
        if (holding(method, args, 'before')) {
          calls.push({ method, args, at: Date.now() - started, status: 0 });
          notify();
          return;
        }
        answer = handleMethod(method, args);
        if (holding(method, args, 'after')) {
          calls.push({ method, args, at: Date.now() - started, status: 0 });
          notify();
          return;
        }
      }
      const call: FakeCall = { method, args, at: Date.now() - started, status: answer.status };
      if (answer.body.ok === false) call.error = String(answer.body.error);
      calls.push(call);
      json(res, answer.status, answer.body, answer.headers);
      notify();
    })().catch((error: unknown) => {
      problems.push(`fake failed: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, { ok: false, error: 'fatal_error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    startedAt: started,
    calls,
    problems,
    responses,
    files,
    messages,
    thread(channel, threadTs) {
      return [...messages.values()].filter((m) => m.channel === channel && (m.ts === threadTs || m.thread_ts === threadTs));
    },
    callsOf(method) {
      return calls.filter((c) => c.method === method);
    },
    views,
    holdNext(rule) {
      holds.push(rule);
    },
    failNext(method, failure) {
      const list = failures.get(method) ?? [];
      list.push(failure);
      failures.set(method, list);
    },
    waitFor(predicate, timeoutMs = 10_000, what = 'condition') {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          cleanup();
          resolve();
        };
        const timer = setInterval(check, 20);
        const timeout = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        const cleanup = () => {
          clearInterval(timer);
          clearTimeout(timeout);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
