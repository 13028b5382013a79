/**
 * `add <id>` in a run's thread, on both platforms over their fakes: the paper is looked up (the
 * configured corpus first, then the live sources: the loopback fake replaying recorded OpenAlex and
 * Crossref payloads), the report's question re-run with it included, and the thread told what changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { createRuntime } from '../../src/runtime.js';
import { reports, useOpened } from './stores.js';
import { startHarness as startDiscord } from '../discord/harness.js';
import { startFakeScholarlyServer, type FakeScholarlyServer } from '../fakes/scholarly-server.js';
import { SCIFACT, startSlackHarness } from '../slack/harness.js';

const QUESTION = 'Does aspirin reduce the risk of colorectal cancer?';

let scholarly: FakeScholarlyServer;
beforeAll(async () => {
  scholarly = await startFakeScholarlyServer();
});
afterAll(async () => {
  await scholarly.close();
});
const { open, sharedStores } = useOpened();


/** The corpus plus OpenAlex and Crossref on the loopback fake (their base URLs from its env). */
function runtimeWithSources() {
  const config = loadConfig({ ...scholarly.env, STORE_URL: 'memory://', SYNTH_SOURCES: 'openalex,crossref', SYNTH_CORPUS: SCIFACT });
  return createRuntime(config, silentLogger, {});
}

describe('add <id> in a run thread', () => {
  it('Discord: adds a corpus paper the run left out, re-runs the question with it and posts what changed', async () => {
    const stores = await sharedStores();
    const h = await startDiscord({ runtime: runtimeWithSources(), stores });
    open.push(h);
    const interaction = h.fake.dispatchCommand({ question: QUESTION, maxPapers: 3 });
    const isAnswer = (r: { route: string; body?: Record<string, unknown> }) => r.route === 'POST /channels/:id/messages' && Array.isArray(r.body?.embeds) && (r.body!.embeds as { title?: string }[]).some((e) => e.title?.startsWith('Evidence synthesis'));
    await h.fake.waitFor(() => h.fake.requests.find(isAnswer), 30_000);
    await h.adapter.settled();
    const original = (await reports(stores))[0]!;
    expect(original.references.some((r) => r.id === 'corpus:7613033')).toBe(false);

    h.fake.dispatchMessage({ content: `<@${h.fake.botUser.id}> add 7613033`, channelId: interaction.originalId! });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === 2, 30_000);
    await h.adapter.settled();
    const added = (await reports(stores)).find((r) => r.addition)!;
    expect(added.addition).toMatchObject({ of: original.id, paper: 'corpus:7613033', requested: '7613033', source: 'corpus' });
    expect(added.references.some((r) => r.id === 'corpus:7613033')).toBe(true);
    const second = h.fake.requests.filter(isAnswer)[1]!;
    expect(second.path).toBe(`/channels/${interaction.originalId!}/messages`);
    expect(String(second.body!.content)).toMatch(/Added \[\d+\] “Aspirin in the chemoprevention of colorectal neoplasia/);

    // Asked again: it is already there, and nothing is re-run.
    const runs = h.fake.requests.filter(isAnswer).length;
    h.fake.dispatchMessage({ content: `<@${h.fake.botUser.id}> add 7613033`, channelId: interaction.originalId! });
    const note = await h.fake.waitFor(() => h.fake.calls('POST /channels/:id/messages').find((r) => String(r.body?.content ?? '').startsWith('That paper is already in')));
    expect(String(note.body!.content)).toMatch(/as \[\d+\] Aspirin in the chemoprevention of colorectal neoplasia: an overview\.$/);
    expect(h.fake.requests.filter(isAnswer)).toHaveLength(runs);

    // A DOI the corpus lacks: looked up in the live sources (recorded OpenAlex/Crossref payloads), and the thread told what changed.
    h.fake.dispatchMessage({ content: `<@${h.fake.botUser.id}> add 10.1073/pnas.1414271111`, channelId: interaction.originalId! });
    await h.fake.waitFor(() => h.fake.requests.filter(isAnswer).length === runs + 1, 30_000);
    await h.adapter.settled();
    expect([...scholarly.requestsFor('openalex'), ...scholarly.requestsFor('crossref')].some((r) => decodeURIComponent(r.path).includes('10.1073/pnas.1414271111'))).toBe(true);
    const byDoi = (await reports(stores)).find((r) => r.addition?.requested?.toLowerCase().includes('10.1073/pnas.1414271111'))!;
    expect(byDoi.addition).toMatchObject({ of: added.id, source: expect.stringMatching(/^(?:openalex|crossref)$/), changes: expect.any(String) });
    // Each addition is a report of its own: the first one is still stored as it was.
    expect(((await stores.reports.get(added.id)) as Report).addition!.paper).toBe('corpus:7613033');
    expect(String(h.fake.requests.filter(isAnswer).at(-1)!.body!.content)).toContain(byDoi.addition!.changes!.slice(0, 30));
    expect(h.fake.problems).toEqual([]);
  });

  it('Slack: looks a DOI up in the live sources (recorded OpenAlex), and says a paper that is nowhere was not found', async () => {
    const stores = await sharedStores();
    const runtime = runtimeWithSources();
    expect(runtime.sources.map((s) => s.name)).toEqual(expect.arrayContaining(['openalex', 'crossref']));
    const h2 = await startSlackHarness({ stores, runtime });
    open.push(h2);
    await h2.command(QUESTION);
    await h2.adapter.settled();
    const parent = [...h2.fake.messages.values()].find((m) => m.text.startsWith('Researching:'))!;
    const isAnswer = (m: { blocks?: Record<string, unknown>[] }) => (m.blocks?.[0] as { type?: string } | undefined)?.type === 'header';

    await h2.mention({ eventId: 'EvAdd1', channel: 'C0RESEARCH', text: '<@UBOT> add 10.1016/j.addr.2015.01.008', ts: '1700000200.000100', threadTs: parent.ts });
    await h2.adapter.settled();
    expect(scholarly.requestsFor('openalex').map((r) => r.path)).toContain('/works/https://doi.org/10.1016%2Fj.addr.2015.01.008');
    const answers = h2.fake.thread('C0RESEARCH', parent.ts).filter(isAnswer);
    expect(answers).toHaveLength(2);
    const added = (await reports(stores)).find((r) => r.addition)!;
    expect(added.addition).toMatchObject({ requested: '10.1016/j.addr.2015.01.008', source: 'openalex' });
    expect(JSON.stringify(answers[1]!.blocks)).toContain(added.addition!.changes!.slice(0, 40).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));

    await h2.mention({ eventId: 'EvAdd2', channel: 'C0RESEARCH', text: '<@UBOT> add 10.9999/nowhere.123', ts: '1700000201.000100', threadTs: parent.ts });
    await h2.adapter.settled();
    const failure = h2.fake.thread('C0RESEARCH', parent.ts).filter((m) => m.text.startsWith('The run failed')).at(-1)!;
    expect(failure.text).toContain('The paper could not be found.');
    expect(failure.text).toContain('10.9999/nowhere.123');
    expect(h2.fake.problems).toEqual([]);
  });
});
