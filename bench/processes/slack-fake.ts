/**
 * "Slack" for `bench/slack.ts`: the loopback Web API fake in its own process, so its work (answering,
 * validating every payload) never shares an event loop with the bot or with the load generator that
 * times the acks. `BENCH_LIMITS=slack` makes it enforce Slack's rate limits. Talks to the parent over IPC.
 */
import { createFakeSlack, SLACK_LIKE_LIMITS } from '../../test/slack/fake-slack.js';
import { SECRETS } from '../../test/slack/harness.js';

/** A call as the parent sees it. */
export interface DumpedCall {
  method: string;
  status: number;
  at: number;
  channel: string;
  threadTs?: string;
  text: string;
}

/** A message as the parent sees it. */
export interface DumpedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
}

/** Messages to the parent. */
export type FakeReply =
  | { type: 'ready'; apiUrl: string; baseUrl: string; startedAt: number }
  | { type: 'dump'; calls: DumpedCall[]; messages: DumpedMessage[]; problems: string[] };

// Payload validation is the tests' job; here it would only add CPU load that real Slack does not put on the machine.
const fake = await createFakeSlack({
  token: SECRETS.botToken,
  validate: process.env.BENCH_VALIDATE === '1',
  ...(process.env.BENCH_LIMITS === 'slack' ? { limits: SLACK_LIKE_LIMITS } : {}),
});
const send = (reply: FakeReply) => process.send?.(reply);
// Never outlive the bench: the parent's exit closes the IPC channel.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', apiUrl: fake.apiUrl, baseUrl: fake.baseUrl, startedAt: fake.startedAt });
process.on('message', (message: { type: 'dump' | 'stop' }) => {
  if (message.type === 'stop') {
    void fake.close().then(() => process.exit(0));
    return;
  }
  send({
    type: 'dump',
    calls: fake.calls.map((c) => ({
      method: c.method,
      status: c.status,
      at: c.at,
      channel: String(c.args.channel ?? c.args.channel_id ?? ''),
      ...(c.args.thread_ts ? { threadTs: String(c.args.thread_ts) } : {}),
      text: String(c.args.text ?? '').slice(0, 60),
    })),
    messages: [...fake.messages.values()].map((m) => ({ channel: m.channel, ts: m.ts, ...(m.thread_ts ? { threadTs: m.thread_ts } : {}), text: m.text.slice(0, 60) })),
    problems: fake.problems.slice(0, 20),
  });
});
