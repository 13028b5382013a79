/**
 * Drivers for the chat contract suite (chat-contract.test.ts): one per platform, each over that
 * platform's loopback fake and harness (test/slack/harness.ts, test/discord/harness.ts), behind one
 * {@link Driver} interface. A driver acts as the platform's users would (ask a question, click Retry or
 * Cancel, including Discord's confirmation step) and reads back what the bot sent, normalised: the
 * messages of a run's thread ({@link Msg}), every write in the order the platform received it
 * ({@link Write}, with who it could ping), and what each user was told privately. It knows the
 * platform's own rendering (Block Kit, Discord content and components) so the suite does not.
 */
import type { Core } from '../../src/core.js';
import { SynthError, type ErrorCode } from '../../src/errors.js';
import type { JobRecord } from '../../src/jobs/job.js';
import type { Synthesize } from '../../src/pipeline/synthesize.js';
import type { Stores } from '../../src/store/store.js';
import { startHarness as startDiscordHarness, type Harness as DiscordHarness } from '../discord/harness.js';
import type { FakeDiscord } from '../discord/fake-discord.js';
import { createSpecValidator, type SpecValidator } from '../discord/fake-validate.js';
import { scriptedSynthesize as discordScripted } from '../discord/scripted.js';
import { buttonValue, isAnswerMessage, messageProblems, textObjects } from '../slack/assertions.js';
import { SECRETS, startSlackHarness, type Harness as SlackHarness } from '../slack/harness.js';
import { makeReport, scriptedSynthesize as slackScripted } from '../slack/scripted.js';
import type { FakeSlack } from '../slack/fake-slack.js';
import { buttonClickBody, postSigned, slashCommandBody } from '../slack/slack-requests.js';

/** What a message of a run is. */
export type Kind = 'parent' | 'progress' | 'answer' | 'failure' | 'notice';
/** What a progress message says about its run. */
export type ProgressState = 'queued' | 'working' | 'done' | 'failed' | 'cancelled';

/** A run's thread: Slack: the channel and the parent's `ts`; Discord: the channel and the thread's id. */
export interface ThreadRef {
  channel: string;
  thread: string;
}

/** A message (or a message body being written), as a reader of the platform sees it. */
export interface View {
  kind: Kind;
  /** Everything visible, as sent (markup included). */
  text: string;
  /** Progress messages: what the headline says. */
  progress?: ProgressState;
  /** Progress messages: in the compact one-line form of a finished run (Slack: one context block; Discord: **Done** and no components). */
  collapsed: boolean;
  /** The job id of its Retry control, if it has one. */
  retry?: string;
  /** The job id of its Cancel control, if it has one. */
  cancel?: string;
  /** Failure messages: the reason as a reader reads it (prefix removed, markup unescaped). */
  reason?: string;
}

/** A message as it stands now. */
export interface Msg extends View {
  id: string;
  /** Where it is: Slack the channel; Discord the thread channel (the parent: the channel). */
  channel: string;
  /** The thread it belongs to. */
  thread: string;
}

/** Who a write could notify. */
export interface Pings {
  users: string[];
  roles: string[];
  /** @everyone, @here, @channel. */
  everyone: boolean;
}

/** One post or edit the bot sent, in the order the platform answered it. */
export interface Write {
  seq: number;
  /** Epoch ms when the platform answered it. */
  at: number;
  op: 'post' | 'edit';
  /** 200 when accepted; 429 when rate limited; 400 for an error. */
  status: number;
  /** Only one user sees it (Slack ephemeral, Discord flags 64). */
  private: boolean;
  /** The thread it went to, when it belongs to one. */
  thread?: string;
  /** The message edited. */
  target?: string;
  view: View;
  pings: Pings;
}

/** The users a driver acts as: their ids on its platform. */
export interface Users {
  asker: string;
  other: string;
  /** Somebody who never takes part (mentioned in hostile text). */
  third: string;
}

/** How the scripted synthesize behaves: stage delay, and which runs (1-based, in call order) fail. */
export interface Script {
  stepMs?: number;
  fail?: (call: number) => { code: ErrorCode; message: string } | undefined;
}

/** A question as asked, and its acknowledgement. */
export interface Asked {
  user: string;
  ack: {
    /** The run was admitted. */
    accepted: boolean;
    /** Acknowledged at once with nothing visible yet (Slack: an empty HTTP 200; Discord: callback type 5). */
    deferred: boolean;
    /** From the request to the acknowledgement. */
    ms: number;
    /** The private refusal, when not admitted. */
    refusal?: string;
  };
  /** Waits for the parent and its thread. */
  thread(): Promise<ThreadRef>;
}

/** One platform, bot and fake running. */
export interface Session {
  readonly platform: string;
  readonly users: Users;
  readonly core: Core;
  /** How a user is mentioned in text. */
  mention(user: string): string;
  ask(question: string, user?: string): Promise<Asked>;
  /** The thread's messages now, the parent first (when this platform instance has it). */
  thread(ref: ThreadRef): Msg[];
  writes(): Write[];
  /** What `user` was told privately, oldest first. */
  told(user: string): string[];
  /** Clicks Retry on a message; resolves once the platform delivered the click. */
  clickRetry(message: Msg, user: string): Promise<void>;
  /** Clicks Cancel on a progress message and confirms where asked; says whether a confirmation came first. */
  clickCancel(message: Msg, user: string): Promise<{ confirmation: boolean }>;
  /** The platform answers the next progress edit with HTTP 429 and Retry-After. */
  rateLimitNextProgressEdit(retryAfterSeconds: number): void;
  /** Runs synthesized so far. */
  synthCalls(): number;
  settled(): Promise<void>;
  /** What the fake found wrong with anything sent (schema, limits, mention rules); expected empty. */
  problems(): string[];
  /**
   * The process dies (its runner writes nothing more and stops renewing leases; the adapter stops) and,
   * once its runs' leases have expired, a new one starts over the same stores and the same platform.
   */
  crashAndRestart(script: Script): Promise<Session>;
  /** `announceInterrupted(await recoverInterrupted())`; resolves with the recovered jobs. */
  announceInterrupted(): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** Options of {@link Driver.start}. */
export interface StartOptions {
  script: Script;
  /** Stores to share with a later session (a restart). */
  stores?: Stores;
  /** The runs' lease; short for a session that will crash, so a restart can take its runs over soon. */
  leaseMs?: number;
}

/** A platform. */
export interface Driver {
  name: string;
  users: Users;
  start(options: StartOptions): Promise<Session>;
}

/** Crashes a session's process: its runner writes nothing more, then its adapter stops; waits out the lease. */
async function crash(core: Core, stopAdapter: () => Promise<void>, leaseMs: number | undefined): Promise<void> {
  if (leaseMs === undefined) throw new Error('a session that crashes needs a short leaseMs');
  await core.runner.close({ crash: true });
  await stopAdapter();
  await new Promise((resolve) => setTimeout(resolve, leaseMs + 50));
}

/** Polls `probe` until it returns something truthy. */
export async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const unique = <T>(values: Iterable<T>) => [...new Set(values)];

// ---------------------------------------------------------------------------------------------------
// Slack

const SLACK_USERS: Users = { asker: 'U0ASKER', other: 'U0OTHER', third: 'U0THIRD' };
const SLACK_STATE: Record<string, ProgressState> = { Queued: 'queued', Working: 'working', Done: 'done', Failed: 'failed', Cancelled: 'cancelled' };

const unescapeSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function slackView(args: { text?: unknown; blocks?: unknown }, parent: boolean): View {
  const text = typeof args.text === 'string' ? args.text : '';
  const blocks = Array.isArray(args.blocks) ? (args.blocks as { type?: unknown }[]) : [];
  const headline = /^:[a-z_]+: \*(Queued|Working|Done|Failed|Cancelled)\*/.exec(text)?.[1];
  const state = headline ? SLACK_STATE[headline] : undefined;
  const kind: Kind = parent ? 'parent' : isAnswerMessage({ blocks }) ? 'answer' : text.startsWith('The run failed') ? 'failure' : state ? 'progress' : 'notice';
  const retry = buttonValue(blocks, 'run_retry');
  const cancel = buttonValue(blocks, 'run_cancel');
  return {
    kind,
    text: [text, ...textObjects(blocks).map((t) => t.text)].join('\n'),
    ...(state ? { progress: state } : {}),
    collapsed: state !== undefined && blocks.length === 1 && blocks[0]!.type === 'context',
    ...(retry ? { retry } : {}),
    ...(cancel ? { cancel } : {}),
    ...(kind === 'failure' ? { reason: unescapeSlack(text.replace(/^The run failed: /, '')) } : {}),
  };
}

/** Who a Slack message can notify: `<@U…>`, `<!channel>`-style specials and user groups; bare `@here` only when names are linked. */
function slackPings(args: Record<string, unknown>): Pings {
  const texts = [typeof args.text === 'string' ? args.text : '', ...textObjects(args.blocks).filter((t) => t.type === 'mrkdwn').map((t) => t.text)];
  const linkNames = !(args.link_names === false || args.link_names === 'false');
  const users: string[] = [];
  const roles: string[] = [];
  let everyone = false;
  for (const t of texts) {
    for (const m of t.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)) users.push(m[1]!);
    for (const m of t.matchAll(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g)) roles.push(m[1]!);
    if (/<!(?:channel|here|everyone)(?:\|[^>]*)?>/.test(t)) everyone = true;
    if (linkNames && /(?:^|\s)@(?:channel|here|everyone)\b/.test(t)) everyone = true;
  }
  return { users: unique(users), roles: unique(roles), everyone };
}

function slackSynthesize(script: Script): Synthesize & { count: number } {
  const fn = ((request, options) => {
    fn.count++;
    const fail = script.fail?.(fn.count);
    return slackScripted({ stepMs: script.stepMs ?? 5, report: (id) => makeReport({ id }), ...(fail ? { fail } : {}) })(request, options);
  }) as Synthesize & { count: number };
  fn.count = 0;
  return fn;
}

/** When each call and response-URL post reached a Slack fake, so the two lists interleave in order. */
interface Stamps {
  of(item: object): { seq: number; at: number };
  /** Stamps given so far. */
  count(): number;
}
const slackStamps = new WeakMap<FakeSlack, Stamps>();
let slackSessions = 0;

function stampSlack(fake: FakeSlack): Stamps {
  const known = slackStamps.get(fake);
  if (known) return known;
  const order = new WeakMap<object, { seq: number; at: number }>();
  let seq = 0;
  for (const list of [fake.calls, fake.responses] as object[][]) {
    const push = list.push.bind(list);
    list.push = (...items: object[]) => {
      for (const item of items) order.set(item, { seq: ++seq, at: Date.now() });
      return push(...items);
    };
  }
  const stamps: Stamps = { of: (item) => order.get(item) ?? { seq: 0, at: 0 }, count: () => seq };
  slackStamps.set(fake, stamps);
  return stamps;
}

async function startSlack({ script, stores, leaseMs }: StartOptions, fake?: FakeSlack, earlierAskers?: ReadonlySet<string>): Promise<Session> {
  const synth = slackSynthesize(script);
  const h: SlackHarness = await startSlackHarness({
    synthesize: synth,
    ...(stores ? { stores } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(fake ? { fakeSlack: fake } : {}),
    adapter: { progressIntervalMs: 50, statusIntervalMs: 50, tickMs: 250 },
  });
  const stamps = stampSlack(h.fake);
  // What reached the fake before this session started (an earlier process on the same Slack) is not this session's.
  const since = stamps.count();
  const mine = (item: object) => stamps.of(item).seq > since;
  // Whoever asked before a restart may still be answered (a resumed run pings its asker).
  const askers = new Set<string>(earlierAskers);
  const acks: { user: string; text: string }[] = [];
  // Channels and response URLs must not collide with an earlier session's on the same fake.
  const prefix = `S${++slackSessions}X`;
  let asks = 0;
  let clicks = 0;
  let crashed = false;
  const signed = { secret: SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' };
  /** Response URLs end in `u-<user>-<n>`, so a reply through one is known to be that user's. */
  const userOfResponse = (id: string) => /(?:^|\/)u-([A-Z0-9]+)-[A-Z0-9]+$/.exec(id)?.[1];
  const parentTs = (channel: string) => [...h.fake.messages.values()].find((m) => m.channel === channel && !m.thread_ts)?.ts;

  const msg = (m: { ts: string; channel: string; thread_ts?: string; text: string; blocks?: unknown }): Msg => ({
    ...slackView(m, !m.thread_ts),
    id: m.ts,
    channel: m.channel,
    thread: m.thread_ts ?? m.ts,
  });

  const click = async (message: Msg, user: string, actionId: string, value: string) => {
    askers.add(user);
    const responseUrl = `${h.fake.baseUrl}/response/${message.channel}/${message.id}/u-${user}-${prefix}${++clicks}`;
    const body = buttonClickBody({ user, channel: message.channel, messageTs: message.id, threadTs: message.thread, actionId, value, responseUrl });
    const response = await postSigned(h.url, body, signed);
    if (response.status !== 200) throw new Error(`Slack answered the click with ${response.status}`);
  };

  const session: Session = {
    platform: 'slack',
    users: SLACK_USERS,
    core: h.core,
    mention: (user) => `<@${user}>`,

    async ask(question, user = SLACK_USERS.asker) {
      askers.add(user);
      // One channel per question: its parent is the channel's only top-level message.
      const channel = `C0${prefix}${++asks}`;
      const body = slashCommandBody({ text: question, channel, user, responseUrl: `${h.fake.baseUrl}/response/u-${user}-${prefix}${asks}` });
      const response = await postSigned(h.url, body, signed);
      let refusal: string | undefined;
      if (response.text) {
        const parsed = JSON.parse(response.text) as { response_type?: string; text?: string };
        if (parsed.response_type === 'ephemeral' && parsed.text !== undefined) {
          refusal = parsed.text;
          acks.push({ user, text: parsed.text });
        }
      }
      const accepted = response.status === 200 && response.text === '';
      return {
        user,
        ack: { accepted, deferred: accepted, ms: response.ms, ...(refusal !== undefined ? { refusal } : {}) },
        thread: () =>
          until(`the thread of “${question}”`, () => {
            const ts = parentTs(channel);
            return ts ? { channel, thread: ts } : undefined;
          }),
      };
    },

    thread(ref) {
      return h.fake.thread(ref.channel, ref.thread).map(msg);
    },

    writes() {
      const writes: Write[] = [];
      for (const call of h.fake.calls.filter(mine)) {
        if (!['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(call.method)) continue;
        const stamp = stamps.of(call);
        const status = call.status !== 200 ? call.status : call.error ? 400 : 200;
        const base = { ...stamp, status, pings: slackPings(call.args) };
        const threadTs = typeof call.args.thread_ts === 'string' ? call.args.thread_ts : undefined;
        if (call.method === 'chat.update') {
          const target = String(call.args.ts);
          const edited = h.fake.messages.get(target);
          writes.push({ ...base, op: 'edit', private: false, thread: edited?.thread_ts ?? target, target, view: slackView(call.args, !edited?.thread_ts) });
        } else if (call.method === 'chat.postMessage') {
          const thread = threadTs ?? parentTs(String(call.args.channel));
          writes.push({ ...base, op: 'post', private: false, ...(thread ? { thread } : {}), view: slackView(call.args, !threadTs) });
        } else {
          writes.push({ ...base, op: 'post', private: true, ...(threadTs ? { thread: threadTs } : {}), view: slackView(call.args, false) });
        }
      }
      for (const response of h.fake.responses.filter(mine)) {
        const stamp = stamps.of(response);
        const [, ts] = response.id.split('/');
        const base = { ...stamp, status: 200, pings: slackPings(response.body) };
        if (response.body.replace_original === true && ts) {
          const edited = h.fake.messages.get(ts);
          writes.push({ ...base, op: 'edit', private: false, thread: edited?.thread_ts ?? ts, target: ts, view: slackView(response.body, !edited?.thread_ts) });
        } else writes.push({ ...base, op: 'post', private: true, view: slackView(response.body, false) });
      }
      return writes.sort((a, b) => a.seq - b.seq);
    },

    told(user) {
      return [
        ...acks.filter((a) => a.user === user).map((a) => a.text),
        ...h.fake.responses.filter((r) => mine(r) && r.body.response_type === 'ephemeral' && userOfResponse(r.id) === user).map((r) => String(r.body.text ?? '')),
        ...h.fake.callsOf('chat.postEphemeral').filter((c) => mine(c) && c.args.user === user).map((c) => String(c.args.text ?? '')),
      ];
    },

    async clickRetry(message, user) {
      if (!message.retry) throw new Error('the message has no Retry button');
      await click(message, user, 'run_retry', message.retry);
    },

    async clickCancel(message, user) {
      const button = findButton(h.fake.messages.get(message.id)?.blocks, 'run_cancel');
      if (!button || typeof button.value !== 'string') throw new Error('the message has no Cancel button');
      // Slack shows the button's `confirm` dialog in the client; the click arrives once it is confirmed.
      await click(message, user, 'run_cancel', button.value);
      return { confirmation: typeof button.confirm === 'object' && button.confirm !== null };
    },

    rateLimitNextProgressEdit(retryAfterSeconds) {
      // The parent is edited once the run has ended, so while it runs the next chat.update is a progress edit.
      h.fake.failNext('chat.update', { status: 429, retryAfter: retryAfterSeconds });
    },

    synthCalls: () => synth.count,
    settled: () => h.adapter.settled(),

    problems() {
      const allowed = [...askers, 'UBOT'];
      const found = [...h.fake.problems];
      for (const call of h.fake.calls.filter(mine)) {
        if (['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(call.method)) found.push(...messageProblems(call.args, allowed).map((p) => `${call.method}: ${p}`));
      }
      for (const response of h.fake.responses.filter(mine)) found.push(...messageProblems(response.body, allowed).map((p) => `response_url: ${p}`));
      return found;
    },

    async crashAndRestart(next) {
      if (!stores) throw new Error('a restart needs stores shared by both sessions');
      crashed = true;
      await crash(h.core, () => h.adapter.stop(), leaseMs);
      // The same Slack: the workspace keeps its messages across the bot's restart.
      return startSlack({ script: next, stores }, h.fake, askers);
    },

    async announceInterrupted() {
      const jobs = await h.core.runner.recoverInterrupted();
      await h.adapter.announceInterrupted?.(jobs);
      return jobs;
    },

    async close() {
      if (!crashed) return h.close();
      // The adapter already stopped (Bolt refuses to stop twice); the rest of the harness's close.
      await h.core.close();
      await h.adapter.settled();
      if (!fake) await h.fake.close();
    },
  };
  return session;
}

function findButton(blocks: unknown, actionId: string): { value?: unknown; confirm?: unknown } | undefined {
  let found: { value?: unknown; confirm?: unknown } | undefined;
  const walk = (v: unknown) => {
    if (found) return;
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'button' && o.action_id === actionId) found = o;
      else Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}

export const slackDriver: Driver = { name: 'slack', users: SLACK_USERS, start: (options) => startSlack(options) };

// ---------------------------------------------------------------------------------------------------
// Discord

const DISCORD_USERS: Users = { asker: '400000000000000001', other: '400000000000000002', third: '123456789012345678' };
const DISCORD_STATE: Record<string, ProgressState> = { 'Working…': 'working', Queued: 'queued', Done: 'done', 'Run failed': 'failed', Cancelled: 'cancelled' };
const EPHEMERAL = 64;

type Interaction = ReturnType<FakeDiscord['dispatchCommand']>;
interface Body {
  content?: unknown;
  embeds?: unknown;
  components?: unknown;
  flags?: unknown;
  allowed_mentions?: unknown;
}

function customIds(components: unknown): string[] {
  const ids: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.custom_id === 'string') ids.push(o.custom_id);
      if (o.components) walk(o.components);
    }
  };
  walk(components);
  return ids;
}

function embedText(embeds: unknown[]): string[] {
  return embeds.flatMap((e) => {
    const o = e as { title?: string; description?: string; fields?: { name: string; value: string }[]; footer?: { text?: string }; author?: { name?: string } };
    return [o.author?.name, o.title, o.description, ...(o.fields ?? []).flatMap((f) => [f.name, f.value]), o.footer?.text].filter((t): t is string => typeof t === 'string');
  });
}

const unescapeDiscord = (text: string) => text.replace(/\\([^\w\s])/g, '$1');

function discordView(body: Body, parent: boolean): View {
  const content = typeof body.content === 'string' ? body.content : '';
  const embeds = Array.isArray(body.embeds) ? body.embeds : [];
  const ids = customIds(body.components);
  const header = /^(?:ℹ️ [^\n]*\n)?\*\*(Working…|Queued|Done|Run failed|Cancelled)\*\*/u.exec(content)?.[1];
  const state = header ? DISCORD_STATE[header] : undefined;
  const kind: Kind = parent ? 'parent' : embeds.length > 0 ? 'answer' : content.startsWith('**The run failed.**') ? 'failure' : state ? 'progress' : 'notice';
  const retry = ids.map((id) => /^retry:(.+)$/.exec(id)?.[1]).find(Boolean);
  const cancel = ids.map((id) => /^cancel:(.+)$/.exec(id)?.[1]).find(Boolean);
  return {
    kind,
    text: [content, ...embedText(embeds)].join('\n'),
    ...(state ? { progress: state } : {}),
    collapsed: state === 'done' && ids.length === 0,
    ...(retry ? { retry } : {}),
    ...(cancel ? { cancel } : {}),
    ...(kind === 'failure' ? { reason: unescapeDiscord(content.replace(/^\*\*The run failed\.\*\* /, '').split('\n')[0]!) } : {}),
  };
}

/** Who a Discord message can notify: mentions in its content that `allowed_mentions` lets through (no `allowed_mentions`: all of them). */
function discordPings(body: Body): Pings {
  const content = typeof body.content === 'string' ? body.content : '';
  const allowed = body.allowed_mentions as { parse?: string[]; users?: string[]; roles?: string[] } | undefined;
  const parse = allowed ? (allowed.parse ?? []) : ['users', 'roles', 'everyone'];
  const users = [...content.matchAll(/(?<!\\)<@!?(\d{17,20})>/g)].map((m) => m[1]!).filter((id) => parse.includes('users') || (allowed?.users ?? []).includes(id));
  const roles = [...content.matchAll(/(?<!\\)<@&(\d{17,20})>/g)].map((m) => m[1]!).filter((id) => parse.includes('roles') || (allowed?.roles ?? []).includes(id));
  return { users: unique(users), roles: unique(roles), everyone: parse.includes('everyone') && /@(?:everyone|here)/.test(content) };
}

let validator: SpecValidator | undefined;

async function startDiscord({ script, stores, leaseMs }: StartOptions, inherit?: FakeDiscord): Promise<Session> {
  // The OpenAPI validators compile once per test file.
  validator ??= createSpecValidator();
  const synth = discordScripted({
    stepMs: script.stepMs ?? 5,
    fail: (_request, call) => {
      const failure = script.fail?.(call);
      return failure ? new SynthError(failure.code, failure.message) : undefined;
    },
  });
  const h: DiscordHarness = await startDiscordHarness({
    synthesize: synth,
    validator,
    ...(stores ? { stores } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    adapter: { progressIntervalMs: 40, tickMs: 250 },
  });
  const fake = h.fake;
  if (inherit) {
    // Discord keeps its channels, threads and messages across the bot's restart.
    for (const [id, channel] of inherit.channels) if (!fake.channels.has(id)) fake.channels.set(id, channel);
    for (const [id, message] of inherit.messages) if (!fake.messages.has(id)) fake.messages.set(id, message);
    // Whoever asked before the restart may still be answered (a resumed run pings its asker).
    for (const user of inherit.askers) fake.askers.add(user);
  }
  /** Interactions dispatched, by token: who, and whether it was the command (whose reply is a parent). */
  const interactions = new Map<string, { user: string; state: Interaction; command: boolean }>();
  const dispatched = (state: Interaction, user: string, command: boolean) => {
    interactions.set(state.token, { user, state, command });
    return state;
  };
  const interactionOf = (path: string) => {
    const token = /^\/(?:interactions\/\d+|webhooks\/\d+)\/([^/]+)/.exec(path)?.[1];
    return token ? interactions.get(token) : undefined;
  };
  const isEphemeral = (flags: unknown) => typeof flags === 'number' && (flags & EPHEMERAL) !== 0;

  const msg = (m: { id: string; channel_id: string; content: string; embeds: unknown[]; components: unknown[] }, ref: ThreadRef): Msg => ({
    ...discordView(m, m.id === ref.thread),
    id: m.id,
    channel: m.channel_id,
    thread: ref.thread,
  });

  const click = async (messageId: string, customId: string, user: string) => {
    const state = dispatched(fake.dispatchComponent({ messageId, customId, userId: user }), user, false);
    await until(`the response to ${customId}`, () => state.callback);
    return state;
  };

  const session: Session = {
    platform: 'discord',
    users: DISCORD_USERS,
    core: h.core,
    mention: (user) => `<@${user}>`,

    async ask(question, user = DISCORD_USERS.asker) {
      const state = dispatched(fake.dispatchCommand({ question, userId: user }), user, true);
      const callback = await until('the interaction callback', () => state.callback);
      const request = fake.calls('POST /interactions/:id/:token/callback').find((r) => r.path.includes(`/${state.id}/`));
      const data = (request?.body?.data ?? {}) as { content?: string; flags?: number };
      const refusal = callback.type === 4 && isEphemeral(data.flags) ? data.content : undefined;
      return {
        user,
        ack: { accepted: callback.type === 5, deferred: callback.type === 5, ms: callback.at - state.dispatchedAt, ...(refusal !== undefined ? { refusal } : {}) },
        thread: () =>
          until(`the thread of “${question}”`, () => {
            const path = `/channels/${fake.channelId}/messages/${state.originalId}/threads`;
            return fake.calls('POST /channels/:id/messages/:id/threads').some((r) => r.path === path && r.status === 201) ? { channel: fake.channelId, thread: state.originalId! } : undefined;
          }),
      };
    },

    thread(ref) {
      return [...fake.messages.values()].filter((m) => (m.id === ref.thread || m.channel_id === ref.thread) && !isEphemeral(m.flags)).map((m) => msg(m, ref));
    },

    writes() {
      const writes: Write[] = [];
      fake.requests.forEach((r, i) => {
        const base = { seq: i + 1, at: r.at, status: r.status };
        const parts = r.path.split('/').filter(Boolean);
        const body = (r.body ?? {}) as Body & { type?: number; data?: Body };
        if (r.route === 'POST /channels/:id/messages') {
          writes.push({ ...base, op: 'post', private: false, thread: parts[1]!, view: discordView(body, false), pings: discordPings(body) });
        } else if (r.route === 'PATCH /channels/:id/messages/:id') {
          writes.push({ ...base, op: 'edit', private: false, thread: parts[1]!, target: parts[3]!, view: discordView(body, false), pings: discordPings(body) });
        } else if (r.route === 'POST /interactions/:id/:token/callback' && body.type === 4 && body.data) {
          writes.push({ ...base, op: 'post', private: isEphemeral(body.data.flags), view: discordView(body.data, false), pings: discordPings(body.data) });
        } else if (r.route === 'POST /interactions/:id/:token/callback' && body.type === 7 && body.data) {
          const target = interactionOf(r.path)?.state.originalId;
          writes.push({ ...base, op: 'edit', private: false, ...(target ? { target } : {}), view: discordView(body.data, false), pings: discordPings(body.data) });
        } else if (r.route === 'PATCH /webhooks/:id/:token/messages/@original') {
          const interaction = interactionOf(r.path);
          const target = interaction?.state.originalId;
          const edited = target ? fake.messages.get(target) : undefined;
          const parent = interaction?.command === true && !isEphemeral(edited?.flags);
          writes.push({
            ...base,
            op: 'edit',
            private: isEphemeral(edited?.flags),
            ...(parent && target ? { thread: target } : edited && !isEphemeral(edited.flags) ? { thread: edited.channel_id } : {}),
            ...(target ? { target } : {}),
            view: discordView(body, parent),
            pings: discordPings(body),
          });
        } else if (r.route === 'POST /webhooks/:id/:token') {
          writes.push({ ...base, op: 'post', private: isEphemeral(body.flags), view: discordView(body, false), pings: discordPings(body) });
        }
      });
      return writes;
    },

    told(user) {
      const said: string[] = [];
      for (const r of fake.requests) {
        const interaction = interactionOf(r.path);
        if (interaction?.user !== user || r.status >= 300) continue;
        const body = (r.body ?? {}) as Body & { type?: number; data?: Body };
        if (r.route === 'POST /interactions/:id/:token/callback' && body.type === 4 && isEphemeral(body.data?.flags)) said.push(String(body.data?.content ?? ''));
        else if (r.route === 'POST /webhooks/:id/:token' && isEphemeral(body.flags)) said.push(String(body.content ?? ''));
        else if (r.route === 'PATCH /webhooks/:id/:token/messages/@original' && isEphemeral(fake.messages.get(interaction.state.originalId ?? '')?.flags)) said.push(String(body.content ?? ''));
      }
      return said;
    },

    async clickRetry(message, user) {
      if (!message.retry) throw new Error('the message has no Retry button');
      await click(message.id, `retry:${message.retry}`, user);
    },

    async clickCancel(message, user) {
      const current = fake.messages.get(message.id);
      const customId = customIds(current?.components).find((id) => id.startsWith('cancel:'));
      if (!customId) throw new Error('the message has no Cancel button');
      const first = await click(message.id, customId, user);
      // Discord: an ephemeral "Cancel this run?" with its own button comes first, unless the click is refused.
      const confirmation = first.callback?.type === 4 ? fake.messages.get(first.originalId ?? '') : undefined;
      const confirmId = customIds(confirmation?.components).find((id) => id.startsWith('cancel-confirmed:'));
      if (!confirmation || !confirmId || !isEphemeral(confirmation.flags)) return { confirmation: false };
      // Asking to confirm is only a confirmation if the run is still going until the answer comes.
      const job = await h.core.runner.get(customId.slice('cancel:'.length));
      const stillGoing = job !== undefined && ['admitted', 'queued', 'running'].includes(job.status);
      await click(confirmation.id, confirmId, user);
      return { confirmation: stillGoing };
    },

    rateLimitNextProgressEdit(retryAfterSeconds) {
      // The progress message is the only one edited through PATCH /channels/:id/messages/:id (the parent is
      // the interaction's reply). Answer its next edit as Discord does when a route's limit is hit.
      const limiter = fake.limiter;
      const check = limiter.check.bind(limiter);
      let armed = true;
      limiter.check = (route, major, now) => {
        if (!armed || route !== 'PATCH /channels/:id/messages/:id') return check(route, major, now);
        armed = false;
        limiter.stats.requests++;
        limiter.stats.limited++;
        return {
          status: 429,
          headers: {
            'retry-after': String(retryAfterSeconds),
            'x-ratelimit-limit': '5',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': ((now + retryAfterSeconds * 1000) / 1000).toFixed(3),
            'x-ratelimit-reset-after': retryAfterSeconds.toFixed(3),
            'x-ratelimit-bucket': 'c0ntract',
            'x-ratelimit-scope': 'user',
          },
          body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
        };
      };
    },

    synthCalls: () => synth.calls.length,
    settled: () => h.adapter.settled(),
    problems: () => [...fake.problems],

    async crashAndRestart(next) {
      if (!stores) throw new Error('a restart needs stores shared by both sessions');
      await crash(h.core, () => h.adapter.stop(), leaseMs);
      return startDiscord({ script: next, stores }, fake);
    },

    async announceInterrupted() {
      const jobs = await h.core.runner.recoverInterrupted();
      await h.adapter.announceInterrupted?.(jobs);
      return jobs;
    },

    // discord.js's client may be destroyed twice, so a crashed session closes like any other.
    close: () => h.close(),
  };
  return session;
}

export const discordDriver: Driver = { name: 'discord', users: DISCORD_USERS, start: (options) => startDiscord(options) };
