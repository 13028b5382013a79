/**
 * Issue 12, measured on Slack: generated hostile questions as `/synthesize` commands, `@bot` mentions
 * and replies in a run's thread, button clicks carrying hostile or unknown values, and malformed but
 * correctly signed request bodies (wrong types, missing fields, unknown action ids and callbacks,
 * oversized values), all sent to the real Bolt app (HTTP mode) over the real pipeline and the small
 * exercise corpus, its Web API the loopback Slack fake. Many run at once: batches of concurrent
 * requests, each input in a channel of its own with an asker of its own.
 *
 * Per input: a crash is a request the server did not answer (connection error) or answered 5xx, an
 * unhandled rejection, or an error logged by a listener while its batch ran; a hang is an answer
 * after Slack's 3 s ack deadline, or a question that got no reply at all, or a run whose parent
 * never reached its final state; a ping is anything the bot posted in its channel (messages, edits,
 * ephemerals, response_url replies, the ack's text, the attached Markdown report) that could mention
 * anyone but its asker (`messageProblems` of test/slack/assertions.ts, and live mention syntax in the
 * attached report); a secret is a configured secret (bot token, signing secret, LLM and source keys,
 * the STORE_URL password) in any of those or in the logs. Problems the Slack fake found with a call
 * (Block Kit schema, Web API parameters) count as other problems.
 *
 * A batch with a crash signal, fake problem, error log or secret in the logs is run again one input at
 * a time, so the signal is pinned on the input that caused it.
 */
import { createHmac } from 'node:crypto';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageProblems } from '../slack/assertions.js';
import { SECRETS, startSlackHarness, type Harness } from '../slack/harness.js';
import { appMentionBody, buttonClickBody, messageEventBody, slackSignature, slashCommandBody } from '../slack/slack-requests.js';
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
/** Slack's acknowledgement deadline. */
const ACK_MS = 3000;
/** When the test client gives up on an answer. */
const ABORT_MS = 6000;
/** How long a batch's runs may take to post their answers. */
const SETTLE_MS = 20_000;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/**
 * Inputs that show a defect, by id, with the defect. Their test is `it.fails` (it fails until the
 * defect is fixed); they are counted in the printed line but not in its assertion.
 */
const KNOWN_DEFECTS: Record<string, string> = {};

type Kind = 'command' | 'mention' | 'thread-mention' | 'thread-reply' | 'click' | 'raw';

interface SlackCase {
  id: string;
  kind: Kind;
  channel: string;
  user: string;
  /** The request: body, content type and extra headers. */
  request(h: Harness): { body: string | Buffer; contentType: string; headers?: Record<string, string> };
  /** Statuses that are a fine answer (default 200). */
  statuses?: number[];
  /** The asker must hear something (an ephemeral, a parent, an answer). */
  needsReply?: boolean;
  /** Sent alone, after the others (it may block the process). */
  alone?: boolean;
  /**
   * A request no listener of the bot matches (Bolt then answers 404 after its own 3 s timeout): these
   * are sent together, staggered, so the wait is paid once and each log line can be pinned by its time.
   */
  slow?: boolean;
  /** Sends it some other way than one signed POST. */
  send?(h: Harness): Promise<Sent>;
}

/** What the sender saw. */
interface Sent {
  status: number;
  ms: number;
  text: string;
  error?: string;
  /** A request sent after it on the same connection. */
  next?: Sent;
}

/** POSTs a correctly signed body; never throws. */
async function sendSigned(url: string, body: string | Buffer, contentType: string, headers: Record<string, string> = {}): Promise<Sent> {
  const timestamp = Math.floor(Date.now() / 1000);
  const raw = typeof body === 'string' ? body : body.toString('latin1');
  const signature = typeof body === 'string' ? slackSignature(SECRETS.signingSecret, timestamp, raw) : signBuffer(timestamp, body);
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature, ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
      signal: AbortSignal.timeout(ABORT_MS),
    });
    const text = await response.text();
    return { status: response.status, ms: performance.now() - started, text };
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, ms: performance.now() - started, text: '', error: `${(error as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}` };
  }
}

/** The v0 signature over raw bytes (for bodies that are not valid UTF-8). */
function signBuffer(timestamp: number, body: Buffer): string {
  return `v0=${createHmac('sha256', SECRETS.signingSecret).update(Buffer.concat([Buffer.from(`v0:${timestamp}:`), body])).digest('hex')}`;
}

let serial = 0;
const nextId = () => String(++serial).padStart(4, '0');

/** A `/synthesize` command with `text`, in a channel of its own. */
function commandCase(id: string, text: string, extra: Partial<SlackCase> = {}, edit?: (fields: URLSearchParams) => void): SlackCase {
  const n = nextId();
  const channel = `C0H${n}`;
  const user = `U0H${n}`;
  return {
    id,
    kind: 'command',
    channel,
    user,
    needsReply: true,
    request: (h) => {
      const fields = new URLSearchParams(slashCommandBody({ text, channel, user, responseUrl: `${h.fake.baseUrl}/response/${channel}/cmd`, triggerId: `${Date.now()}.${n}.trigger` }));
      edit?.(fields);
      return { body: fields.toString(), contentType: FORM };
    },
    ...extra,
  };
}

/** An `@bot` mention with `text` after the mention, in a channel of its own. */
function mentionCase(id: string, text: string, extra: Partial<SlackCase> = {}): SlackCase {
  const n = nextId();
  const channel = `C0H${n}`;
  const user = `U0H${n}`;
  return {
    id,
    kind: 'mention',
    channel,
    user,
    needsReply: true,
    request: () => ({ body: appMentionBody({ eventId: `Ev0H${n}`, channel, user, text: `<@UBOT> ${text}`, ts: `1700000${n}.000100` }), contentType: JSON_TYPE }),
    ...extra,
  };
}

/** A signed JSON event callback, built from an `app_mention` and changed by `edit`. */
function eventCase(id: string, edit: (body: Record<string, unknown> & { event: Record<string, unknown> }) => unknown, statuses = [200]): SlackCase {
  const n = nextId();
  const channel = `C0H${n}`;
  const user = `U0H${n}`;
  return {
    id,
    kind: 'raw',
    channel,
    user,
    statuses,
    request: () => {
      const body = JSON.parse(appMentionBody({ eventId: `Ev0H${n}`, channel, user, text: `<@UBOT> ${BASE_QUESTION}`, ts: `1700000${n}.000100` })) as Record<string, unknown> & { event: Record<string, unknown> };
      const changed = edit(body) ?? body;
      return { body: JSON.stringify(changed), contentType: JSON_TYPE };
    },
  };
}

/** A button click (`block_actions`), its payload changed by `edit`. */
function clickCase(
  id: string,
  actionId: string,
  value: string,
  edit?: (payload: Record<string, unknown> & { actions: Record<string, unknown>[] }) => unknown,
  options: { statuses?: number[]; slow?: boolean } = {},
): SlackCase {
  const n = nextId();
  const channel = `C0H${n}`;
  const user = `U0H${n}`;
  return {
    id,
    kind: 'click',
    channel,
    user,
    statuses: options.statuses ?? [200],
    slow: options.slow ?? false,
    request: (h) => {
      const form = new URLSearchParams(buttonClickBody({ user, channel, messageTs: `1700000${n}.000200`, actionId, value, responseUrl: `${h.fake.baseUrl}/response/${channel}/1700000${n}.000200/1` }));
      const payload = JSON.parse(form.get('payload')!) as Record<string, unknown> & { actions: Record<string, unknown>[] };
      const changed = edit ? (edit(payload) ?? payload) : payload;
      return { body: new URLSearchParams({ payload: JSON.stringify(changed) }).toString(), contentType: FORM };
    },
  };
}

/** A signed body sent as it is. */
function rawCase(id: string, body: string | Buffer, contentType: string, statuses: number[]): SlackCase {
  const n = nextId();
  return { id, kind: 'raw', channel: `C0H${n}`, user: `U0H${n}`, statuses, request: () => ({ body, contentType }) };
}

/**
 * A body over Bolt's 4 MB limit, then a small signed request on the same connection (one keep-alive
 * connection, as an HTTP client reusing its connection would): both must be answered.
 */
function overLimitCase(): SlackCase {
  const n = nextId();
  return {
    id: 'raw.body-over-limit',
    kind: 'raw',
    channel: `C0H${n}`,
    user: `U0H${n}`,
    statuses: [413],
    slow: true,
    request: () => ({ body: '', contentType: FORM }),
    async send(h) {
      const url = new URL(h.url);
      const client = new Client(url.origin, { pipelining: 1 });
      const post = async (body: string, contentType: string): Promise<Sent> => {
        const timestamp = Math.floor(Date.now() / 1000);
        const started = performance.now();
        try {
          const response = await client.request({
            path: url.pathname,
            method: 'POST',
            headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SECRETS.signingSecret, timestamp, body) },
            body,
            signal: AbortSignal.timeout(ACK_MS + 500),
          });
          const text = await response.body.text();
          return { status: response.statusCode, ms: performance.now() - started, text };
        } catch (error) {
          return { status: 0, ms: performance.now() - started, text: '', error: (error as Error).message };
        }
      };
      try {
        const first = await post(`payload=${'x'.repeat(5 * 1024 * 1024)}`, FORM);
        first.next = await post(JSON.stringify({ type: 'url_verification', token: 'x', challenge: 'still-there' }), JSON_TYPE);
        return first;
      } finally {
        await client.destroy();
      }
    },
  };
}

/** A payload of another interaction type (shortcut, view submission, options request...). */
function interactionCase(id: string, payload: Record<string, unknown>, statuses = [200]): SlackCase {
  return { ...rawCase(id, new URLSearchParams({ payload: JSON.stringify({ api_app_id: 'A0FAKE', token: 'verification-token-unused', team: { id: 'T0FAKE', domain: 'fake' }, ...payload }) }).toString(), FORM, statuses), slow: true };
}

/** The cases of the first round: everything that needs no earlier run. */
function firstRound(): SlackCase[] {
  const cases: SlackCase[] = [];
  // Commands: 72 of the payloads (every category, both positions), the lengths at the limit, blank questions.
  for (const t of spread(payloadsOnce(), 72)) cases.push(commandCase(`command.${t.id}`, t.text));
  const lengths = lengthInputs(125_000);
  for (const t of lengths.filter((l) => /limit/.test(l.id))) cases.push(commandCase(`command.${t.id}`, t.text));
  for (const t of blankInputs()) cases.push(commandCase(`command.${t.id}`, t.text));
  // Mentions: a spread of payloads in the other position, and a mention alone.
  for (const t of spread(payloadsOnce(1), 16)) cases.push(mentionCase(`mention.${t.id}`, t.text));
  cases.push(mentionCase('mention.bare', ''));
  cases.push(mentionCase('mention.only-mentions', '<!channel> <!here> <@U123> @everyone'));

  // Malformed commands (signed, so only Slack or a replayer could send them).
  cases.push(commandCase('raw.command-no-user', BASE_QUESTION, { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.delete('user_id')));
  cases.push(commandCase('raw.command-no-channel', BASE_QUESTION, { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.delete('channel_id')));
  cases.push(commandCase('raw.command-no-trigger', BASE_QUESTION, { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.delete('trigger_id')));
  cases.push(commandCase('raw.command-text-twice', BASE_QUESTION, { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.append('text', '<!channel>')));
  cases.push(commandCase('raw.command-no-text', '', { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.delete('text')));
  cases.push(commandCase('raw.command-hostile-user-id', BASE_QUESTION, { kind: 'raw', needsReply: false, statuses: [200, 400] }, (f) => f.set('user_id', 'U1> <!channel> <@U2')));
  cases.push(commandCase('raw.command-response-url-closed', BASE_QUESTION, { kind: 'raw', needsReply: false }, (f) => f.set('response_url', 'http://127.0.0.1:9/response')));
  cases.push(commandCase('raw.command-response-url-not-url', '<!channel>', { kind: 'raw', needsReply: false }, (f) => f.set('response_url', 'not a url <!here>')));
  cases.push(commandCase('raw.command-unknown', BASE_QUESTION, { kind: 'raw', needsReply: false, slow: true }, (f) => f.set('command', '/unknown')));

  // Malformed events.
  cases.push({ ...eventCase('raw.event-missing', (b) => ({ ...b, event: undefined })), slow: true });
  cases.push(eventCase('raw.event-text-number', (b) => void (b.event.text = 12345)));
  cases.push(eventCase('raw.event-text-object', (b) => void (b.event.text = { toString: '<!channel>' })));
  cases.push(eventCase('raw.event-no-user', (b) => void delete b.event.user));
  cases.push(eventCase('raw.event-channel-object', (b) => void (b.event.channel = { id: 'C1' })));
  cases.push(eventCase('raw.event-from-bot', (b) => void (b.event.bot_id = 'B0OTHER')));
  cases.push(eventCase('raw.event-unknown-type', (b) => void (b.event.type = 'reaction_added')));
  cases.push(
    eventCase('raw.event-message-changed', (b) => {
      const ts = String(b.event.ts);
      const message = { type: 'message', user: b.event.user, text: '<!channel> edited <@UBOT>', ts, thread_ts: '1700000000.000001' };
      b.event = { type: 'message', subtype: 'message_changed', channel: b.event.channel, hidden: true, ts: `${ts}1`, event_ts: `${ts}1`, message, previous_message: { ...message, text: 'before' } };
    }),
  );
  cases.push(eventCase('raw.event-thread-ts-number', (b) => void (b.event.thread_ts = 1700000000.0001)));
  cases.push(eventCase('raw.event-id-hostile', (b) => void (b.event_id = '<!channel>'.repeat(100))));
  cases.push(eventCase('raw.url-verification', () => ({ type: 'url_verification', token: 'x', challenge: '<!channel> <script>alert(1)</script>' })));
  cases.push(eventCase('raw.prototype-pollution', () => JSON.parse(`{"type":"event_callback","__proto__":{"polluted":"yes"},"event":{"type":"app_mention","user":"U0P","text":"<@UBOT> ${BASE_QUESTION}","ts":"1.2","channel":"C0P","constructor":{"prototype":{"polluted":"yes"}}}}`)));
  cases.push(rawCase('raw.json-deeply-nested', `{"type":"event_callback","event":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, JSON_TYPE, [200, 400]));
  // Bolt checks the signature over the body decoded as UTF-8, so bytes that are not UTF-8 never verify (401).
  cases.push(rawCase('raw.json-not-utf8', Buffer.concat([Buffer.from('{"type":"event_callback","event":{"type":"app_mention","text":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}')]), JSON_TYPE, [401]));
  cases.push(overLimitCase());

  // Clicks: hostile and oversized values on the bot's own action ids, unknown action ids, broken payloads.
  cases.push(clickCase('click.claim-hostile-ids', 'claim_toggle:0', '<!channel>|<@U123>'));
  cases.push(clickCase('click.claim-nested-mention', 'claim_toggle:0', 'report|<<@U1|U999>>'));
  cases.push(clickCase('click.claim-value-10k', 'claim_toggle:0', `${'r'.repeat(5000)}|${'c'.repeat(5000)}`));
  cases.push(clickCase('click.claim-empty-value', 'claim_toggle:0', ''));
  cases.push(clickCase('click.page-huge', 'claims_page:next', 'report|99999'));
  cases.push(clickCase('click.page-negative', 'claims_page:prev', 'report|-1'));
  cases.push(clickCase('click.retry-unknown-job', 'run_retry', '00000000-0000-4000-8000-000000000000'));
  cases.push(clickCase('click.cancel-hostile-job', 'run_cancel', '<!here> ../../etc/passwd'));
  cases.push(clickCase('click.value-number', 'claim_toggle:0', 'x', (p) => void (p.actions[0]!.value = 42)));
  cases.push(clickCase('click.no-container', 'claim_toggle:0', 'report|c1', (p) => void delete p.container));
  // An interaction without a user is malformed (Slack always sends one): refused with a 400 by the screen.
  cases.push(clickCase('click.no-user', 'claim_toggle:0', 'report|c1', (p) => void delete p.user, { statuses: [200, 400] }));
  // Requests no listener of the bot matches: each waits for Bolt's own timeout (slow: sent together).
  cases.push(clickCase('click.actions-empty', 'claim_toggle:0', 'x', (p) => void (p.actions = []), { slow: true }));
  cases.push(clickCase('click.actions-string', 'claim_toggle:0', 'x', (p) => void ((p as Record<string, unknown>).actions = '<!channel>'), { statuses: [200, 400], slow: true }));
  cases.push(clickCase('click.unknown-action-id', 'evil_action', '<!channel>', undefined, { slow: true }));
  cases.push(clickCase('click.action-id-suffix-hostile', 'claim_toggle:<!here>', 'report|c1', undefined, { slow: true }));
  cases.push(interactionCase('raw.shortcut-unknown', { type: 'shortcut', callback_id: 'evil_shortcut', trigger_id: '1.2.3', user: { id: 'U0S' } }));
  cases.push(interactionCase('raw.view-submission-unknown', { type: 'view_submission', user: { id: 'U0S' }, view: { id: 'V1', callback_id: '<!channel>', state: { values: {} } } }));
  cases.push(interactionCase('raw.block-suggestion', { type: 'block_suggestion', action_id: 'claim_toggle:0', block_id: 'b', value: '<!here>', user: { id: 'U0S' } }));
  cases.push(interactionCase('raw.interactive-message', { type: 'interactive_message', callback_id: 'legacy', actions: [{ name: 'x', value: '<!channel>' }], user: { id: 'U0S' }, channel: { id: 'C0S' } }));

  // Long questions, each sent alone: 10k, Slack's 40,000-character message limit, and 125,000.
  for (const t of lengths.filter((l) => !/limit/.test(l.id) && l.id !== 'length.125k')) cases.push(commandCase(`command.${t.id}`, t.text, { alone: true }));
  cases.push(mentionCase('mention.length.40k', `${BASE_QUESTION} `.repeat(800).slice(0, 40_000), { alone: true }));
  cases.push(commandCase('command.length.125k', lengths.find((l) => l.id === 'length.125k')!.text, { alone: true }));
  return cases;
}

/**
 * The replies sent in answered runs' threads: mentions (follow-ups) and, every third, plain replies;
 * last, a follow-up as long as a Slack message may be (40,000 characters), alone.
 */
function secondRound(answered: SlackCase[], parentTs: (channel: string) => string): SlackCase[] {
  const texts = [...spread(payloadsOnce(), 12), { id: 'length.40k', category: 'length' as const, text: `${BASE_QUESTION} `.repeat(800).slice(0, 40_000) }];
  return texts.map((t, i) => {
    const plain = i % 3 === 2;
    const id = `${plain ? 'thread-reply' : 'thread-mention'}.${t.id}`;
    const target = answered[(i * 5) % Math.max(1, answered.length)];
    const n = nextId();
    const user = i % 2 === 0 && target ? target.user : `U0H${n}`;
    const channel = target?.channel ?? `C0H${n}`;
    return {
      id,
      kind: plain ? 'thread-reply' : 'thread-mention',
      channel,
      user,
      alone: t.id === 'length.40k',
      request: () => {
        const fields = { eventId: `Ev0H${n}`, channel, user, text: plain ? t.text : `<@UBOT> ${t.text}`, ts: `1800000${n}.000300`, threadTs: target ? parentTs(channel) : '1700000000.000001' };
        return { body: plain ? messageEventBody(fields) : appMentionBody(fields), contentType: JSON_TYPE };
      },
    } satisfies SlackCase;
  });
}

/** After everything: a plain question is still answered. */
const canary = () => commandCase('canary.plain-question', BASE_QUESTION);

describe('hostile Slack requests', () => {
  const first = firstRound();
  const ids = [...first.map((c) => c.id), ...secondRound([], () => '').map((c) => c.id), canary().id];
  let h: Harness;
  const outcomes = new Map<string, Outcome>();
  const sent = new Map<string, Sent>();
  const cases: SlackCase[] = [];
  const secrets = [...secretsOf({ ...SECRET_ENV }), SECRETS.botToken, SECRETS.signingSecret];
  const unhandled: { at: number; stack: string }[] = [];
  const record = (reason: unknown) => void unhandled.push({ at: Date.now(), stack: (reason as Error)?.stack ?? String(reason) });
  let started = 0;

  beforeAll(async () => {
    started = performance.now();
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    const { SLACK_BOT_TOKEN: _bot, SLACK_SIGNING_SECRET: _signing, ...env } = SECRET_ENV;
    h = await startSlackHarness({
      corpus: [CORPUS],
      env: { ...env, SYNTH_MAX_CONCURRENT_RUNS: '8' },
      adapter: {
        progressIntervalMs: 50,
        limits: {
          postPerChannel: { cap: 100, intervalMs: 1000 },
          update: { cap: 500, intervalMs: 1000 },
          status: { cap: 500, intervalMs: 1000 },
          other: { cap: 500, intervalMs: 1000 },
        },
      },
    });

    // Warm up first (not counted): the first run builds the corpus index and compiles the fake's validators,
    // which would otherwise land in the first batch's acks; a bot is warm once it has started.
    const warmUp = commandCase('warm-up', BASE_QUESTION);
    const { body, contentType } = warmUp.request(h);
    await sendSigned(h.url, body, contentType);
    await quiet(() => h.fake.calls.length + h.fake.responses.length, () => h.adapter.settled());

    cases.push(...first);
    const together = first.filter((c) => !c.alone);
    // Requests no listener matches wait for Bolt's own 3 s timeout: one staggered batch of them, so it is paid once.
    const slow = together.filter((c) => c.slow);
    const rest = together.filter((c) => !slow.includes(c));
    // Batches of one kind each (a batch with a signal is run again one input at a time: keep that cheap).
    for (const kind of ['command', 'mention', 'raw', 'click'] as const) {
      const ofKind = rest.filter((c) => c.kind === kind);
      for (let i = 0; i < ofKind.length; i += 24) await runBatch(ofKind.slice(i, i + 24));
    }
    await runBatch(slow, { staggerMs: 120 });

    // Replies in the threads of answered runs: mentions (follow-ups) and plain replies.
    const answered = rest.filter((c) => c.kind === 'command' && parentOf(c.channel)?.edits);
    const second = secondRound(answered, (channel) => parentOf(channel)!.ts);
    cases.push(...second);
    await runBatch(second.filter((c) => !c.alone));
    for (const c of second.filter((x) => x.alone)) await runBatch([c]);

    // One at a time, the requests that may block the process.
    for (const c of first.filter((x) => x.alone)) await runBatch([c]);
    const last = canary();
    cases.push(last);
    await runBatch([last]);
    evaluate();
  }, 240_000);

  afterAll(async () => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    await h?.close();
  });

  const parentOf = (channel: string) => [...h.fake.messages.values()].find((m) => m.channel === channel && !m.thread_ts);

  /** The new error-level log lines since `from`, with their time. */
  const errorLogs = (from: number): { time: number; msg: string; line: string }[] =>
    h
      .logs()
      .slice(from)
      .split('\n')
      .filter((line) => /"level":(?:50|60)/.test(line))
      .map((line) => {
        const parsed = JSON.parse(line) as { time: number; msg?: string };
        return { time: parsed.time, msg: parsed.msg ?? '', line };
      });

  /**
   * Waits until the bot is idle: its runs settled and nothing sent to the fake for 100 ms (a run may
   * start just after the ack that `settled` was asked about); false if that takes over SETTLE_MS.
   */
  async function quiet(activity: () => number, settled: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const done = await Promise.race([settled().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), remaining))]);
      if (!done) return false;
      const seen = activity();
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (activity() === seen) return true;
    }
  }

  /** Bolt's own line for a request no listener acknowledged: the log of a hang that the 3 s answer already counts. */
  const UNACKED = /not acknowledged within 3 seconds/;

  /**
   * Sends a batch at once (or `staggerMs` apart), waits for its runs, and pins any process-wide signal
   * on its inputs: a staggered batch by the time of each log line and rejection (a line is the latest
   * request's sent before it; Bolt's "not acknowledged" line the one sent 3 s before it); an
   * unstaggered batch by running it again, one input at a time.
   */
  async function runBatch(batch: SlackCase[], options: { staggerMs?: number } = {}): Promise<void> {
    if (batch.length === 0) return;
    const before = { unhandled: unhandled.length, problems: h.fake.problems.length, logs: h.logs().length };
    const sentAt = new Map<string, number>();
    await Promise.all(
      batch.map(async (c, i) => {
        if (options.staggerMs) await new Promise((resolve) => setTimeout(resolve, i * options.staggerMs!));
        sentAt.set(c.id, Date.now());
        if (c.send) {
          sent.set(c.id, await c.send(h));
          return;
        }
        const { body, contentType, headers } = c.request(h);
        sent.set(c.id, await sendSigned(h.url, body, contentType, headers));
      }),
    );
    const settled = await quiet(() => h.fake.calls.length + h.fake.responses.length, () => h.adapter.settled());
    const logs = errorLogs(before.logs);
    const rejections = unhandled.slice(before.unhandled);
    const problems = h.fake.problems.slice(before.problems);
    const leaked = secretsIn(h.logs().slice(before.logs), secrets);
    const nothing = logs.length === 0 && rejections.length === 0 && problems.length === 0 && leaked.length === 0 && settled;
    const at = (id: string) => outcomes.get(id) ?? outcomes.set(id, outcome(id)).get(id)!;
    if (nothing) return;
    /** Puts every signal of this batch on one input. */
    const pin = (id: string, note = '') => {
      const o = at(id);
      o.crashes.push(...rejections.map((r) => `unhandled: ${clip(r.stack, 600)}${note}`));
      o.crashes.push(...logs.filter((l) => !UNACKED.test(l.msg)).map((l) => `error logged: ${clip(l.line, 600)}${note}`));
      o.other.push(...problems.map((p) => `the Slack fake: ${clip(p, 300)}${note}`));
      o.secrets.push(...leaked.map((x) => `${x.slice(0, 12)}… in the logs${note}`));
      if (!settled) o.hangs.push(`runs did not settle within ${SETTLE_MS / 1000} s${note}`);
    };
    if (batch.length === 1) {
      pin(batch[0]!.id);
      return;
    }
    if (options.staggerMs && problems.length === 0 && leaked.length === 0 && settled) {
      const ordered = batch.map((c) => ({ id: c.id, at: sentAt.get(c.id)! })).sort((a, b) => a.at - b.at);
      const latestBefore = (time: number) => [...ordered].reverse().find((c) => c.at <= time + 2) ?? ordered[0]!;
      // Bolt's "not acknowledged" lines are the log of requests it answered after 3 s (counted as hangs); with none such, a crash.
      const late = ordered.filter((c) => (sent.get(c.id)?.ms ?? 0) >= ACK_MS);
      for (const l of logs) {
        if (UNACKED.test(l.msg) && late.length > 0) continue;
        at(latestBefore(UNACKED.test(l.msg) ? l.time - 3001 : l.time).id).crashes.push(`error logged: ${clip(l.line, 600)}`);
      }
      for (const r of rejections) at(latestBefore(r.at).id).crashes.push(`unhandled: ${clip(r.stack, 600)}`);
      return;
    }
    // Pin it: the same inputs again, one at a time; if none shows it alone, it belongs to them together.
    const problemCount = () => batch.reduce((n, c) => n + problemsOf(at(c.id)).length, 0);
    const beforeAgain = problemCount();
    for (const c of batch) await runBatch([c]);
    if (problemCount() === beforeAgain) for (const c of batch) pin(c.id, ' (seen only when its batch ran together)');
  }

  /** Judges every input on what was sent back and what the fake received for its channel. */
  function evaluate(): void {
    const fileChannels = uploadedFilesByChannel();
    // Who may be mentioned in a channel: the bot (its usage text names it) and whoever asked there.
    const askers = new Map<string, string[]>();
    for (const c of cases) askers.set(c.channel, [...(askers.get(c.channel) ?? ['UBOT']), c.user]);
    for (const c of cases) {
      const o = outcomes.get(c.id) ?? outcome(c.id);
      outcomes.set(c.id, o);
      const answer = sent.get(c.id)!;
      o.ms = answer.ms;
      o.result = answer.status === 0 ? 'no answer' : String(answer.status);
      if (answer.status === 0) (answer.ms >= ABORT_MS - 50 ? o.hangs : o.crashes).push(`no HTTP answer: ${answer.error ?? ''}`);
      else if (answer.status >= 500) o.crashes.push(`HTTP ${answer.status}`);
      else if (!(c.statuses ?? [200]).includes(answer.status)) o.other.push(`HTTP ${answer.status}, expected ${(c.statuses ?? [200]).join(' or ')}`);
      if (answer.ms > ACK_MS) o.hangs.push(`answered after ${Math.round(answer.ms)} ms (Slack's deadline is ${ACK_MS} ms), HTTP ${answer.status}`);
      if (answer.next && (answer.next.status !== 200 || answer.next.ms > ACK_MS)) {
        o.hangs.push(`the next request on the same connection: ${answer.next.status === 0 ? `no answer after ${Math.round(answer.next.ms)} ms (${answer.next.error ?? ''})` : `HTTP ${answer.next.status} after ${Math.round(answer.next.ms)} ms`}`);
      }

      const allowed = askers.get(c.channel)!;
      const calls = h.fake.calls.filter((call) => (call.args.channel ?? call.args.channel_id) === c.channel);
      const posted = calls.filter((call) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(call.method));
      for (const call of posted) for (const p of messageProblems(call.args, allowed)) o.pings.push(`${call.method}: ${clip(p, 300)}`);
      for (const call of calls.filter((x) => x.method === 'assistant.threads.setStatus')) for (const m of liveMentions(String(call.args.status ?? ''), allowed, 'slack')) o.pings.push(`thread status ${m}`);
      const responses = h.fake.responses.filter((r) => r.id.startsWith(`${c.channel}/`));
      for (const r of responses) for (const p of messageProblems(r.body, allowed)) o.pings.push(`response_url: ${clip(p, 300)}`);
      let ack: { text?: unknown; blocks?: unknown } | undefined;
      try {
        ack = answer.text ? (JSON.parse(answer.text) as { text?: unknown; blocks?: unknown }) : undefined;
      } catch {
        ack = undefined;
      }
      if (ack && typeof ack === 'object' && c.kind !== 'raw') for (const p of messageProblems(ack, allowed)) o.pings.push(`ack: ${clip(p, 300)}`);
      const files = fileChannels.get(c.channel) ?? [];
      for (const [name, content] of files) if (name.endsWith('.md')) for (const m of liveMentions(content, allowed, 'slack')) o.pings.push(`live mention ${m} in the attached ${name}`);

      const output = [answer.text, ...calls.map((call) => JSON.stringify(call.args)), ...responses.map((r) => JSON.stringify(r.body)), ...files.map(([, content]) => content)].join('\n');
      for (const s of secretsIn(output, secrets)) o.secrets.push(`${s.slice(0, 12)}… in what was posted`);

      if (c.needsReply) {
        const heard = Boolean(ack && typeof ack === 'object' && 'text' in ack) || responses.length > 0 || posted.length > 0;
        if (!heard) o.hangs.push('the asker heard nothing (no ephemeral, no parent, no answer)');
        const parent = parentOf(c.channel);
        if (c.kind === 'command' && parent && parent.edits === 0) o.hangs.push(`the parent never reached its final state: ${clip(parent.text)}`);
      }
    }
    // Nothing polluted Object.prototype.
    if ((Object.prototype as Record<string, unknown>).polluted !== undefined) outcomes.get('raw.prototype-pollution')!.other.push('Object.prototype was polluted');
  }

  /** The files uploaded to each channel: `files.getUploadURLExternal` hands out ids in order; the completion names the channel. */
  function uploadedFilesByChannel(): Map<string, [string, string][]> {
    const names = h.fake.callsOf('files.getUploadURLExternal').map((call) => String(call.args.filename));
    const byId = new Map(names.map((name, i) => [`F${String(i + 1).padStart(8, '0')}`, name]));
    const out = new Map<string, [string, string][]>();
    for (const call of h.fake.callsOf('files.completeUploadExternal')) {
      const channel = String(call.args.channel_id);
      const list = out.get(channel) ?? [];
      for (const f of (call.args.files as { id: string }[] | undefined) ?? []) {
        const name = byId.get(f.id);
        if (name) list.push([name, h.fake.files.get(name) ?? '']);
      }
      out.set(channel, list);
    }
    return out;
  }

  for (const id of ids) {
    const defect = KNOWN_DEFECTS[id];
    (defect ? it.fails : it)(`${id}${defect ? ` — known defect: ${defect}` : ''}`, () => {
      const o = outcomes.get(id);
      expect(o, 'an outcome').toBeDefined();
      expect(problemsOf(o!)).toEqual([]);
    });
  }

  it('sent every input', () => {
    expect(cases.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
    expect(ids.length).toBeGreaterThanOrEqual(130);
    expect(sent.size).toBe(ids.length);
  });

  it('has an outcome for every input, and prints its counts, all 0', () => {
    const all = cases.map((c) => outcomes.get(c.id)!);
    const answers = all.filter((o) => o.result === '200');
    const acks = answers.map((o) => o.ms).sort((a, b) => a - b);
    console.log(summaryLine('hostile Slack requests', all, 'HTTP statuses', KNOWN_DEFECTS, (performance.now() - started) / 1000));
    console.log(
      `  acks: p50 ${Math.round(acks[Math.floor(acks.length / 2)] ?? 0)} ms, max ${Math.round(acks.at(-1) ?? 0)} ms; runs answered: ${h.fake.callsOf('files.completeUploadExternal').length}; ` +
        `Web API calls: ${h.fake.calls.length}`,
    );
    for (const o of all.filter((x) => problemsOf(x).length > 0)) console.log(`  ${o.id}${KNOWN_DEFECTS[o.id] ? ' (known defect)' : ''}: ${problemsOf(o).slice(0, 3).join(' | ')}`);
    const counted = all.filter((o) => !KNOWN_DEFECTS[o.id]);
    expect(counted.filter((o) => o.crashes.length > 0).map((o) => o.id), 'crashes').toEqual([]);
    expect(counted.filter((o) => o.hangs.length > 0).map((o) => o.id), 'hangs').toEqual([]);
    expect(counted.filter((o) => o.pings.length > 0).map((o) => o.id), 'pings').toEqual([]);
    expect(counted.filter((o) => o.secrets.length > 0).map((o) => o.id), 'secrets').toEqual([]);
    // The bot still answered a plain question after all of it.
    expect(parentOf(cases.at(-1)!.channel)?.text).toContain('Answered in the thread');
  });
});
