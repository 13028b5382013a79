/**
 * The Discord fake of the benchmark, in its own process (forked by bench/discord.ts): Discord is
 * another machine, so its work must not share the bot's event loop and inflate the bot's figures.
 * It dispatches the interactions, times the callbacks on its side and reports what it saw over IPC.
 */
import { startFakeDiscord, type RecordedRequest } from '../../test/discord/fake-discord.js';
import type { RateLimitRule } from '../../test/discord/fake-rate-limit.js';

const port = {
  postMessage: (message: unknown) => process.send!(message),
  on: (event: 'message', listener: (message: { type: string; runs?: number }) => void) => process.on(event, listener),
  close: () => process.disconnect(),
};
const { rateLimits } = JSON.parse(process.env.FAKE_RATE_LIMITS ?? '{}') as { rateLimits: Record<string, RateLimitRule> };
const fake = await startFakeDiscord({ rateLimits });
const isAnswer = (r: RecordedRequest) => r.route === 'POST /channels/:id/messages' && r.status === 200 && Array.isArray(r.body?.embeds);

port.on('message', (message: { type: string; runs?: number }) => {
  void (async () => {
    if (message.type === 'run') {
      const runs = message.runs!;
      const started = Date.now();
      const interactions = Array.from({ length: runs }, (_, i) =>
        fake.dispatchCommand({ question: `Does vitamin D reduce fracture risk? (run ${i + 1})`, userId: String(400000000000001000n + BigInt(i)) }),
      );
      await fake.waitFor(() => interactions.every((i) => i.callback), 30_000);
      const deferMs = interactions.map((i) => i.callback!.at - i.dispatchedAt);
      await fake.waitFor(() => fake.requests.filter(isAnswer).length >= runs, 300_000);
      const answers = fake.requests.filter(isAnswer);
      const answerMs = interactions.map((i) => (answers.find((a) => a.path === `/channels/${i.originalId}/messages`)?.at ?? NaN) - i.dispatchedAt);
      port.postMessage({
        type: 'result',
        deferMs,
        answerMs,
        allDoneMs: Date.now() - started,
        answered: answers.length,
        everyRunAnswered: answerMs.every((ms) => Number.isFinite(ms)),
        stats: fake.limiter.stats,
        problems: fake.problems.slice(0, 20),
        problemCount: fake.problems.length,
      });
    } else if (message.type === 'close') {
      await fake.close();
      port.close();
    }
  })().catch((error: unknown) => port.postMessage({ type: 'error', message: (error as Error).stack ?? String(error) }));
});
port.postMessage({ type: 'ready', apiUrl: fake.apiUrl, token: fake.token, applicationId: fake.applicationId });
