/**
 * Issue 12, measured on Discord: generated hostile questions as `/synthesize` commands and as messages
 * that mention the bot (and follow-ups in a run's thread), components carrying custom_ids and values
 * the bot never made, commands whose options have the wrong types, are missing or oversized, and
 * interactions of kinds the bot never offered, all dispatched by the loopback Discord fake to the real
 * discord.js client of the adapter over the real pipeline and the small exercise corpus. Many run at
 * once: batches of concurrent interactions, each input with an asker of its own.
 *
 * Per input: a crash is an unhandled rejection or an error logged while its batch ran (an interaction
 * or mention handler that threw); a hang is an interaction with no response within Discord's 3 s, a
 * mention of the bot that got no reply at all, or runs that do not settle; a ping is anything the bot
 * sent for it (interaction responses, webhook edits, thread and channel posts) that allows a mention
 * other than its asker's or carries live mention syntax of anyone else (the fake's `checkNoMentions`,
 * and the check of test/discord/adapter.test.ts that every body allows none); a secret is the bot
 * token, an interaction token, or a configured key or password in those bodies, their files or the
 * logs. Other problems the fake found (a body Discord would refuse) are counted as other problems.
 *
 * A batch with a process-wide signal is run again one input at a time, so it is pinned on its input.
 */
import { isChitChat } from '../../src/pipeline/followup.js';
import { cleanText } from '../../src/text/sanitize.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/runtime.js';
import type { RecordedRequest } from '../discord/fake-discord.js';
import { startHarness, type Harness } from '../discord/harness.js';
import { FIXTURES } from '../helpers/paths.js';
import {
  BASE_QUESTION,
  blankInputs,
  clip,
  lengthInputs,
  liveMentions,
  outcome,
  payloadsOnce,
  problemsOf,
  SECRET_ENV,
  secretsIn,
  secretsOf,
  spread,
  summaryLine,
  type Outcome,
} from './inputs.js';

const CORPUS = `${FIXTURES}/corpus/exercise.jsonl`;
/** Discord's deadline for the first response to an interaction. */
const CALLBACK_MS = 3000;
/** How long a batch's runs may take to post their answers. */
const SETTLE_MS = 20_000;

/**
 * Inputs that show a defect, by id, with the defect. Their test is `it.fails` (it fails until the
 * defect is fixed); they are counted in the printed line but not in its assertion.
 */
const KNOWN_DEFECTS: Record<string, string> = {};

type Kind = 'command' | 'options' | 'mention' | 'thread' | 'component' | 'interaction';

/** What dispatching a case left to look at. */
interface Dispatched {
  /** The interaction, when it was one. */
  interaction?: { id: string; token: string; dispatchedAt: number; callback?: { type: number; at: number }; originalId?: string };
  /** The message, when it was one. */
  messageId?: string;
  at: number;
}

interface DiscordCase {
  id: string;
  kind: Kind;
  user: string;
  /** Others who may be mentioned in what it causes (a thread's first asker). */
  alsoAllowed?: string[];
  dispatch(h: Harness): Dispatched;
  /** A mention must get some reply. */
  needsReply?: boolean;
}

let serial = 0;
/** A fresh user id (a snowflake-shaped 18 digits), so per-user limits never refuse an input. */
const nextUser = () => `4100000000000${String(++serial).padStart(5, '0')}`;

const commandCase = (id: string, question: string, extra: Partial<DiscordCase> = {}): DiscordCase => {
  const user = nextUser();
  return { id, kind: 'command', user, dispatch: (h) => ({ interaction: h.fake.dispatchCommand({ question, userId: user }), at: Date.now() }), ...extra };
};

const optionsCase = (id: string, rawOptions: { name: string; type: number; value: unknown }[], extra: Partial<DiscordCase> = {}): DiscordCase => {
  const user = nextUser();
  return { id, kind: 'options', user, dispatch: (h) => ({ interaction: h.fake.dispatchCommand({ question: BASE_QUESTION, userId: user, rawOptions }), at: Date.now() }), ...extra };
};

const mentionCase = (id: string, text: string, extra: Partial<DiscordCase> = {}): DiscordCase => {
  const user = nextUser();
  return {
    id,
    kind: 'mention',
    user,
    needsReply: true,
    dispatch: (h) => ({ messageId: h.fake.dispatchMessage({ content: `<@${h.fake.botUser.id}> ${text}`.slice(0, 4000), userId: user }).id, at: Date.now() }),
    ...extra,
  };
};

/** A component interaction on a plain message nobody answered. */
const componentCase = (id: string, customId: string, values?: string[]): DiscordCase => {
  const user = nextUser();
  return {
    id,
    kind: 'component',
    user,
    dispatch: (h) => {
      const message = h.fake.dispatchMessage({ content: 'just chatting', userId: user });
      return { interaction: h.fake.dispatchComponent({ messageId: message.id, customId, userId: user, ...(values ? { values } : {}) }), at: Date.now() };
    },
  };
};

/** An interaction of another type or shape than the bot registered. */
const interactionCase = (id: string, type: number, data: Record<string, unknown>, onMessage = false): DiscordCase => {
  const user = nextUser();
  return {
    id,
    kind: 'interaction',
    user,
    dispatch: (h) => {
      const messageId = onMessage ? h.fake.dispatchMessage({ content: 'just chatting', userId: user }).id : undefined;
      return { interaction: h.fake.dispatchInteraction({ type, data, userId: user, ...(messageId ? { messageId } : {}) }), at: Date.now() };
    },
  };
};

const q = (value: unknown, type = 3) => ({ name: 'question', type, value });

/** Everything that needs no earlier run. */
function firstRound(): DiscordCase[] {
  const cases: DiscordCase[] = [];
  for (const t of spread(payloadsOnce(0), 30)) cases.push(commandCase(`command.${t.id}`, t.text));
  for (const t of blankInputs().filter((b) => ['blank.empty', 'blank.whitespace', 'blank.zero-width-only'].includes(b.id))) cases.push(commandCase(`command.${t.id}`, t.text));
  const lengths = lengthInputs();
  for (const t of lengths.filter((l) => ['length.at-limit', 'length.emoji-over-limit', 'length.zalgo-at-limit'].includes(l.id))) cases.push(commandCase(`command.${t.id}`, t.text));

  for (const t of spread(payloadsOnce(1), 14)) cases.push(mentionCase(`mention.${t.id}`, t.text));
  cases.push(mentionCase('mention.bare', ''));
  cases.push(mentionCase('mention.only-mentions', '@everyone @here <@&123456789012345678> <@123456789012345678> <!channel>'));
  // Discord's longest message content (4,000 characters with Nitro).
  cases.push(mentionCase('mention.length.4000', `${BASE_QUESTION} `.repeat(100)));

  // Options Discord would never send for the registered command (a stale registration, a proxy, a hand-made request).
  cases.push(optionsCase('options.question-number', [q(5, 4)]));
  cases.push(optionsCase('options.question-null', [q(null)]));
  cases.push(optionsCase('options.question-object', [q({ toString: '<!channel>' })]));
  cases.push(optionsCase('options.question-array', [q(['<@&123456789012345678>'])]));
  cases.push(optionsCase('options.none', []));
  cases.push(optionsCase('options.year-from-text', [q(BASE_QUESTION), { name: 'year_from', type: 3, value: '<!here>' }]));
  cases.push(optionsCase('options.year-from-huge', [q(BASE_QUESTION), { name: 'year_from', type: 4, value: 1e15 }]));
  cases.push(optionsCase('options.year-from-negative', [q(BASE_QUESTION), { name: 'year_from', type: 4, value: -5 }]));
  cases.push(optionsCase('options.year-from-float', [q(BASE_QUESTION), { name: 'year_from', type: 4, value: 2020.5 }]));
  cases.push(optionsCase('options.years-reversed', [q(BASE_QUESTION), { name: 'year_from', type: 4, value: 2020 }, { name: 'year_to', type: 4, value: 1990 }]));
  cases.push(optionsCase('options.max-papers-zero', [q(BASE_QUESTION), { name: 'max_papers', type: 4, value: 0 }]));
  cases.push(optionsCase('options.max-papers-huge', [q(BASE_QUESTION), { name: 'max_papers', type: 4, value: 100_000 }]));
  cases.push(optionsCase('options.unknown-option', [q(BASE_QUESTION), { name: '<!channel>', type: 3, value: '<@&123456789012345678>' }]));
  cases.push(optionsCase('options.question-twice', [q(BASE_QUESTION), q('<!channel> @everyone')]));
  cases.push(optionsCase('options.question-10k', [q(lengths.find((l) => l.id === 'length.10k')!.text)]));

  // Components with custom_ids and values the bot never made.
  cases.push(componentCase('component.mention-id', '<!channel> <@&123456789012345678>'));
  cases.push(componentCase('component.empty-id', ''));
  cases.push(componentCase('component.id-over-100', `claim:${'a'.repeat(64)}:${'b'.repeat(64)}`));
  cases.push(componentCase('component.path-traversal', 'claim:../../etc/passwd:c1'));
  cases.push(componentCase('component.claim-mention-report', 'claim:<@&123456789012345678>:c1'));
  cases.push(componentCase('component.retry-empty', 'retry:'));
  cases.push(componentCase('component.cancel-confirmed-unknown', 'cancel-confirmed:00000000-0000-4000-8000-000000000000'));
  cases.push(componentCase('component.claims-on-button', 'claims:abc'));
  cases.push(componentCase('component.emoji-id', 'claim:💊:c1'));
  cases.push(componentCase('component.select-claim', 'claim:abc:c1', ['c1']));
  cases.push(componentCase('component.select-no-values', 'claims:abc', []));
  cases.push(componentCase('component.select-hostile-value', 'claims:abc', ['<@&123456789012345678>', '<<@1|123456789012345678>>']));

  // Interactions of kinds the bot never registered or offered.
  cases.push(interactionCase('interaction.unknown-command', 2, { id: '500000000000000009', name: 'evil', type: 1, options: [{ name: 'question', type: 3, value: '<!channel>' }] }));
  cases.push(
    interactionCase('interaction.message-context-command', 2, {
      id: '500000000000000010',
      name: 'synthesize',
      type: 3,
      target_id: '300000000000000009',
      resolved: { messages: { '300000000000000009': { id: '300000000000000009', channel_id: '300000000000000001', type: 0, content: '<!channel> @everyone', author: { id: '400000000000000007', username: 'someone', discriminator: '0', avatar: null, global_name: null }, embeds: [], attachments: [], mentions: [], mention_roles: [], pinned: false, mention_everyone: false, tts: false, timestamp: new Date(0).toISOString(), edited_timestamp: null, flags: 0, components: [] } } },
    }),
  );
  cases.push(interactionCase('interaction.modal-submit', 5, { custom_id: '<!here>', components: [] }));
  cases.push(interactionCase('interaction.user-select', 3, { custom_id: 'claim:abc:c1', component_type: 5, values: ['400000000000000001'] }, true));
  // Not here: a question option of 125,000 characters. Discord enforces the option's max_length (1,000), so it cannot
  // arrive; sent anyway it blocks the process for ~5 s before the first response (D1, which the Slack and CLI suites pin).
  return cases;
}

/** The ids of the second round (built once the first has answers). */
const SECOND_ROUND = [
  'component.claims-select-nested-mention',
  'component.claims-select-two-values',
  'component.claim-not-in-report',
  'component.cancel-by-another-user',
  'component.retry-by-another-user',
  ...spread(payloadsOnce(), 5).map((t) => `thread.${t.id}`),
  'thread.length.4000',
];

describe('hostile Discord interactions and messages', () => {
  const first = firstRound();
  const ids = [...first.map((c) => c.id), ...SECOND_ROUND, 'canary.plain-question'];
  let h: Harness;
  const cases: DiscordCase[] = [];
  const outcomes = new Map<string, Outcome>();
  const dispatched = new Map<string, Dispatched>();
  const unhandled: string[] = [];
  const onRejection = (reason: unknown) => void unhandled.push(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  const onException = (error: unknown) => void unhandled.push(`uncaught exception: ${(error as Error)?.stack ?? String(error)}`);
  let started = 0;

  beforeAll(async () => {
    started = performance.now();
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    const env = { ...SECRET_ENV, SYNTH_MAX_CONCURRENT_RUNS: '8' };
    const runtime = createRuntime(loadConfig({ ...env, SYNTH_SOURCES: 'none' }), silentLogger, { corpus: [CORPUS], offline: true });
    h = await startHarness({ runtime, env });

    // Warm up first (not counted): the first run builds the corpus index and compiles the fake's validators.
    h.fake.dispatchCommand({ question: BASE_QUESTION, userId: nextUser() });
    await h.fake.waitFor(() => h.fake.requests.some((r) => r.files.some((f) => f.name.endsWith('.md'))), 15_000);
    await quiet();

    cases.push(...first);
    for (let i = 0; i < first.length; i += 16) await runBatch(first.slice(i, i + 16));

    const second = secondRound();
    cases.push(...second);
    await runBatch(second);
    const canary = commandCase('canary.plain-question', BASE_QUESTION);
    cases.push(canary);
    await runBatch([canary]);
    evaluate();
  }, 240_000);

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    await h?.close();
  });

  /** An answer posted for a command case: its request, report id and message. */
  function answerOf(c: DiscordCase): { request: RecordedRequest; reportId: string; messageId: string } | undefined {
    const thread = dispatched.get(c.id)?.interaction?.originalId;
    if (!thread) return undefined;
    const request = h.fake.requests.find((r) => r.path === `/channels/${thread}/messages` && Array.isArray(r.body?.components) && JSON.stringify(r.body.components).includes('claim:'));
    const customId = request ? /"custom_id":"claim:([0-9a-f-]{36}):/.exec(JSON.stringify(request.body!.components))?.[1] : undefined;
    const message = [...h.fake.messages.values()].find((m) => m.channel_id === thread && JSON.stringify(m.components).includes('claim:'));
    return request && customId && message ? { request, reportId: customId, messageId: message.id } : undefined;
  }

  function secondRound(): DiscordCase[] {
    const answered = cases.filter((c) => c.kind === 'command').map((c) => ({ c, answer: answerOf(c) })).filter((x) => x.answer);
    const pick = (i: number) => answered[(i * 7) % answered.length]!;
    const onAnswer = (id: string, i: number, customId: (reportId: string) => string, values?: string[]): DiscordCase => {
      const user = nextUser();
      const { c, answer } = pick(i);
      return {
        id,
        kind: 'component',
        user,
        alsoAllowed: [c.user],
        dispatch: (hh) => ({ interaction: hh.fake.dispatchComponent({ messageId: answer!.messageId, customId: customId(answer!.reportId), userId: user, ...(values ? { values } : {}) }), at: Date.now() }),
      };
    };
    const list: DiscordCase[] = [
      onAnswer('component.claims-select-nested-mention', 0, (r) => `claims:${r}`, ['<<@1|123456789012345678>>']),
      onAnswer('component.claims-select-two-values', 1, (r) => `claims:${r}`, ['c1', 'c2']),
      onAnswer('component.claim-not-in-report', 2, (r) => `claim:${r}:c999`),
      // The job id of a run is its report id: another user's Cancel and Retry.
      onAnswer('component.cancel-by-another-user', 3, (r) => `cancel:${r}`),
      onAnswer('component.retry-by-another-user', 4, (r) => `retry:${r}`),
    ];
    // Follow-ups in answered threads, the last as long as a Discord message may be.
    const followUps = [...spread(payloadsOnce(), 5), { id: 'length.4000', text: `${BASE_QUESTION} `.repeat(100) }];
    for (const [i, t] of followUps.entries()) {
      const { c } = pick(i + 5);
      const thread = dispatched.get(c.id)!.interaction!.originalId!;
      const user = i % 2 === 0 ? c.user : nextUser();
      list.push({
        id: `thread.${t.id}`,
        kind: 'thread',
        user,
        // A mention that says nothing but chit-chat once cleaned ("@2", "thanks") is left alone in a run thread, by design.
        needsReply: !isChitChat(cleanText(t.text)),
        alsoAllowed: [c.user],
        dispatch: (hh) => ({ messageId: hh.fake.dispatchMessage({ content: `<@${hh.fake.botUser.id}> ${t.text}`.slice(0, 4000), userId: user, channelId: thread }).id, at: Date.now() }),
      });
    }
    return list;
  }

  /**
   * Waits until the bot is idle: its runs settled and no request to the fake for 100 ms (a run may
   * start just after the response that was waited for); false if that takes over SETTLE_MS.
   */
  async function quiet(): Promise<boolean> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const done = await Promise.race([h.adapter.settled().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), remaining))]);
      if (!done) return false;
      const seen = h.fake.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (h.fake.requests.length === seen) return true;
    }
  }

  /** The new error-level log lines since `from`. */
  const errorLogs = (from: number) =>
    h
      .logs()
      .slice(from)
      .split('\n')
      .filter((line) => /"level":(?:50|60)/.test(line));

  /** The secrets to look for: the configured ones, the bot token and every interaction token handed out. */
  const secrets = () => [...secretsOf({ ...SECRET_ENV }), h.fake.token, ...[...h.fake.interactions.values()].map((i) => i.token)];

  /** Dispatches a batch at once, waits for its responses and runs, and pins any process-wide signal on its inputs. */
  async function runBatch(batch: DiscordCase[]): Promise<void> {
    if (batch.length === 0) return;
    const before = { unhandled: unhandled.length, problems: h.fake.problems.length, logs: h.logs().length };
    for (const c of batch) dispatched.set(c.id, c.dispatch(h));
    // Every interaction answered (or Discord's deadline passed, and then some).
    const deadline = Date.now() + CALLBACK_MS + 500;
    while (Date.now() < deadline && batch.some((c) => dispatched.get(c.id)!.interaction && !dispatched.get(c.id)!.interaction!.callback)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Mentions are read from the gateway: wait until each got something, briefly.
    const replyDeadline = Date.now() + CALLBACK_MS;
    while (Date.now() < replyDeadline && batch.some((c) => c.needsReply && requestsOf(c).length === 0)) await new Promise((resolve) => setTimeout(resolve, 10));
    const settled = await quiet();
    const signals = {
      crashes: [...unhandled.slice(before.unhandled).map((r) => clip(r, 600)), ...errorLogs(before.logs).map((l) => `error logged: ${clip(l, 600)}`)],
      problems: h.fake.problems.slice(before.problems),
      secrets: secretsIn(h.logs().slice(before.logs), secrets()).map((s) => `${s.slice(0, 12)}… in the logs`),
      settled: settled ? [] : [`runs not settled within ${SETTLE_MS / 1000} s`],
    };
    if (Object.values(signals).every((list) => list.length === 0)) return;
    const at = (id: string) => outcomes.get(id) ?? outcomes.set(id, outcome(id)).get(id)!;
    /** Puts every signal of this batch on one input. */
    const pin = (id: string, note = '') => {
      const o = at(id);
      o.crashes.push(...signals.crashes.map((s) => s + note));
      o.secrets.push(...signals.secrets.map((s) => s + note));
      o.hangs.push(...signals.settled.map((s) => s + note));
      for (const p of signals.problems) {
        const line = `the Discord fake: ${clip(p, 300)}${note}`;
        if (/answered after 3 s/.test(p)) o.hangs.push(line);
        else if (/allowed_mentions/.test(p)) o.pings.push(line);
        else o.other.push(line);
      }
    };
    if (batch.length === 1) {
      pin(batch[0]!.id);
      return;
    }
    // Pin it: the same inputs again, one at a time; if none shows it alone, it belongs to them together.
    const problemCount = () => batch.reduce((n, c) => n + problemsOf(at(c.id)).length, 0);
    const beforeAgain = problemCount();
    for (const c of batch) await runBatch([c]);
    if (problemCount() === beforeAgain) for (const c of batch) pin(c.id, ' (seen only when its batch ran together)');
  }

  /** The requests the bot made for a case: its interaction's callback and webhooks, its thread, replies to its message. */
  function requestsOf(c: DiscordCase): RecordedRequest[] {
    const d = dispatched.get(c.id);
    if (!d) return [];
    const i = d.interaction;
    const anchors = [i?.originalId, d.messageId].filter((x): x is string => Boolean(x));
    // A follow-up in a thread is answered in the thread, after it.
    const thread = c.kind === 'thread' ? h.fake.messages.get(d.messageId!)?.channel_id : undefined;
    return h.fake.requests.filter((r) => {
      if (thread && r.path.startsWith(`/channels/${thread}/`) && r.at >= d.at) return true;
      if (i && (r.path.startsWith(`/interactions/${i.id}/`) || r.path.startsWith(`/webhooks/${h.fake.applicationId}/${i.token}`))) return true;
      if (anchors.some((a) => r.path.startsWith(`/channels/${a}/`) || r.path.includes(`/messages/${a}/threads`))) return true;
      const ref = (r.body?.message_reference as { message_id?: string } | undefined)?.message_id;
      return ref !== undefined && anchors.includes(ref);
    });
  }

  function evaluate(): void {
    const allSecrets = secrets();
    // Who asked in each run's thread (a follow-up's answer mentions its asker there).
    const threadAskers = new Map<string, string[]>();
    for (const c of cases.filter((x) => x.kind === 'thread')) {
      const thread = h.fake.messages.get(dispatched.get(c.id)!.messageId!)?.channel_id;
      if (thread) threadAskers.set(thread, [...(threadAskers.get(thread) ?? []), c.user]);
    }
    for (const c of cases) {
      const o = outcomes.get(c.id) ?? outcome(c.id);
      outcomes.set(c.id, o);
      const d = dispatched.get(c.id)!;
      const requests = requestsOf(c);
      const i = d.interaction;
      if (i) {
        o.ms = i.callback ? i.callback.at - i.dispatchedAt : CALLBACK_MS + 500;
        o.result = i.callback ? `callback ${i.callback.type}` : 'no response';
        if (!i.callback) o.hangs.push(`no response to the interaction within ${CALLBACK_MS} ms`);
        else if (i.callback.at - i.dispatchedAt > CALLBACK_MS) o.hangs.push(`first response after ${i.callback.at - i.dispatchedAt} ms`);
      } else {
        const firstReply = requests[0];
        o.ms = firstReply ? firstReply.at - d.at : 0;
        o.result = firstReply ? (firstReply.route.includes('/threads') ? 'thread' : 'reply') : 'nothing';
        if (c.needsReply && !firstReply) o.hangs.push('the bot was mentioned and said nothing');
      }

      const anchor = d.interaction?.originalId ?? d.messageId;
      const allowed = [c.user, ...(c.alsoAllowed ?? []), ...((anchor && threadAskers.get(anchor)) || [])];
      for (const r of requests) {
        const body = r.route.includes('/callback') ? (r.body?.data as Record<string, unknown> | undefined) : r.body;
        if (!body) continue;
        const postsSomething = ['content', 'embeds', 'components'].some((k) => k in body);
        if (postsSomething) {
          const mentions = body.allowed_mentions as { parse?: unknown[]; users?: unknown[]; roles?: unknown[]; replied_user?: boolean } | undefined;
          if (!mentions || !Array.isArray(mentions.parse) || mentions.parse.length > 0) o.pings.push(`${r.route}: allowed_mentions ${JSON.stringify(mentions)}`);
          for (const u of mentions?.users ?? []) if (!allowed.includes(String(u))) o.pings.push(`${r.route}: allows a mention of ${String(u)}`);
          if ((mentions?.roles?.length ?? 0) > 0 || mentions?.replied_user === true) o.pings.push(`${r.route}: allows roles or the replied-to user: ${JSON.stringify(mentions)}`);
        }
        const visible = JSON.stringify({ content: body.content, embeds: body.embeds, components: body.components, name: body.name });
        for (const m of liveMentions(visible, allowed, 'discord')) o.pings.push(`${r.route}: live mention syntax ${m}`);
        for (const f of r.files) if (f.name.endsWith('.md')) for (const m of liveMentions(f.content, allowed, 'discord')) o.pings.push(`live mention ${m} in the attached ${f.name}`);
        for (const s of secretsIn(`${JSON.stringify(r.body)}\n${r.files.map((f) => f.content).join('\n')}`, allSecrets)) o.secrets.push(`${s.slice(0, 12)}… in ${r.route}`);
      }
    }
  }

  for (const id of ids) {
    const defect = KNOWN_DEFECTS[id];
    (defect ? it.fails : it)(`${id}${defect ? ` — known defect: ${defect}` : ''}`, () => {
      const o = outcomes.get(id);
      expect(o, 'an outcome').toBeDefined();
      expect(problemsOf(o!)).toEqual([]);
    });
  }

  it('dispatched every input, and prints its counts, all 0', () => {
    expect(cases.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
    expect(ids.length).toBeGreaterThanOrEqual(75);
    const all = ids.map((id) => outcomes.get(id)!);
    const firstResponses = cases.filter((c) => dispatched.get(c.id)?.interaction?.callback).map((c) => outcomes.get(c.id)!.ms).sort((a, b) => a - b);
    console.log(summaryLine('hostile Discord interactions and messages', all, 'first responses', KNOWN_DEFECTS, (performance.now() - started) / 1000));
    console.log(
      `  interaction responses: p50 ${firstResponses[Math.floor(firstResponses.length / 2)] ?? 0} ms, max ${firstResponses.at(-1) ?? 0} ms; ` +
        `answers posted: ${h.fake.requests.filter((r) => r.files.some((f) => f.name.endsWith('.md'))).length}; REST requests: ${h.fake.requests.length}`,
    );
    for (const o of all.filter((x) => problemsOf(x).length > 0)) console.log(`  ${o.id}${KNOWN_DEFECTS[o.id] ? ' (known defect)' : ''}: ${problemsOf(o).slice(0, 3).join(' | ')}`);
    const counted = all.filter((o) => !KNOWN_DEFECTS[o.id]);
    expect(counted.filter((o) => o.crashes.length > 0).map((o) => o.id), 'crashes').toEqual([]);
    expect(counted.filter((o) => o.hangs.length > 0).map((o) => o.id), 'hangs').toEqual([]);
    expect(counted.filter((o) => o.pings.length > 0).map((o) => o.id), 'pings').toEqual([]);
    expect(counted.filter((o) => o.secrets.length > 0).map((o) => o.id), 'secrets').toEqual([]);
    // The bot still answered a plain question after all of it.
    expect(answerOf(cases.at(-1)!), 'the canary was answered').toBeDefined();
  });
});
