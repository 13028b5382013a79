/**
 * Follow-up bench (`npm run bench -- followup`): the Slack adapter and the real pipeline over the
 * SciFact corpus (5,183 abstracts), the loopback Slack fake; a question is answered in its thread,
 * then follow-ups are asked there by mention, one after the other, and timed from the event's arrival
 * to the follow-up's answer in the thread. Target: under 1 s when the thread's papers answer it.
 */
import { createStores } from '../src/store/store.js';
import type { Report } from '../src/model.js';
import { startSlackHarness } from '../test/slack/harness.js';

const QUESTIONS: [string, string[]][] = [
  ['Does vitamin D supplementation reduce fracture risk?', ['what about in older adults?', 'does it hold for women?', 'and for hip fractures?']],
  ['Does aspirin reduce the risk of colorectal cancer?', ['what about in people with Lynch syndrome?', 'does the dose matter?', 'and adenomas?']],
  ['Is obesity associated with type 2 diabetes?', ['what about in children?', 'does weight loss reverse it?', 'and in Asian populations?']],
];

const out = (line: string) => process.stdout.write(`${line}\n`);
const stores = await createStores('memory://');
const h = await startSlackHarness({ stores, adapter: { progressIntervalMs: 1000 } });
const isAnswer = (m: { blocks?: Record<string, unknown>[] }) => (m.blocks?.[0] as { type?: string } | undefined)?.type === 'header';
let ts = 1_700_000_000;
const times: { ms: number; scope: string }[] = [];
try {
  // Build the index before timing anything (a running bot has it built).
  await h.command('Does exercise reduce depression?', { channel: 'C0WARM' });
  await h.adapter.settled();
  for (const [i, [question, followUps]] of QUESTIONS.entries()) {
    const channel = `C0Q${i}`;
    await h.command(question, { channel });
    await h.adapter.settled();
    const parent = [...h.fake.messages.values()].find((m) => m.channel === channel && m.text.startsWith('Researching:'))!;
    for (const followUp of followUps) {
      const answersBefore = h.fake.thread(channel, parent.ts).filter(isAnswer).length;
      const started = performance.now();
      await h.mention({ eventId: `EvBench${++ts}`, channel, text: `<@UBOT> ${followUp}`, ts: `${ts}.000100`, threadTs: parent.ts });
      await h.fake.waitFor(() => h.fake.thread(channel, parent.ts).filter(isAnswer).length > answersBefore, 30_000, 'the follow-up answer');
      const ms = performance.now() - started;
      await h.adapter.settled();
      const reports: Report[] = [];
      for await (const [, value] of stores.reports.iterator!(undefined)) reports.push(value as Report);
      const report = reports.find((r) => r.followUp?.question === followUp);
      times.push({ ms, scope: report?.followUp?.scope ?? 'nothing' });
      out(`${question} → ${followUp}: ${ms.toFixed(0)} ms (${report?.followUp?.scope ?? 'no report'}; ${report?.claims.length ?? 0} claims, ${report?.answer?.verdict ?? '–'})`);
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
  const thread = times.filter((t) => t.scope === 'thread').map((t) => t.ms);
  const all = times.map((t) => t.ms);
  out('');
  out(`follow-ups: ${times.length}; answered from the thread's papers: ${thread.length}; widened: ${times.filter((t) => t.scope === 'widened').length}`);
  out(`event → answer in the thread: p50 ${pct(all, 50).toFixed(0)} ms, p95 ${pct(all, 95).toFixed(0)} ms; from the thread's papers only: p50 ${thread.length ? pct(thread, 50).toFixed(0) : '–'} ms, max ${thread.length ? Math.max(...thread).toFixed(0) : '–'} ms (target < 1,000 ms)`);
} finally {
  await h.close();
  await stores.close();
}
