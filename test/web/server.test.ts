/**
 * The web adapter over HTTP, as a browser would use it but without one: the page and its headers,
 * a question followed through the shared conversation on the live stream, refusals at admission,
 * Cancel and Retry for the asker only, CSRF, DNS-rebinding and rate limits, and report pages that
 * need a signed link or the access token once the page is exposed.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { reportUrl } from '../../adapters/web/links.js';
import type { Report } from '../../src/model.js';
import { visitorName } from '../../adapters/web/render.js';
import { makeReport, scriptedSynthesize } from '../slack/scripted.js';
import { startWebHarness, waitFor, type StreamedMessage, type Visitor, type WebHarness } from './harness.js';

const harnesses: WebHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});
async function start(options: Parameters<typeof startWebHarness>[0]) {
  const h = await startWebHarness(options);
  harnesses.push(h);
  return h;
}

const XSS = '<img src=x onerror=alert(1)>';
const visitorId = (v: Visitor) => [...v.cookies].find(([k]) => k.startsWith('synth_visitor_'))![1].split('.')[0]!;
const byKind = (messages: Map<string, StreamedMessage>, kind: string) => [...messages.values()].filter((m) => m.kind === kind);

describe('the web page', () => {
  it('is served with a strict Content-Security-Policy, no inline script and a signed per-browser cookie', async () => {
    const h = await start({ synthesize: scriptedSynthesize({}) });
    const v = h.visitor();
    const page = await v.get('/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('synth_visitor_'))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const html = await page.text();
    expect(html).toContain('<script src="/static/app.js?v=');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).toContain('<label for="question">');
    // The same browser keeps its id; a forged cookie gets a new one.
    expect((await v.get('/')).headers.getSetCookie()).toEqual([]);
    const name = cookie.slice(0, cookie.indexOf('='));
    const forged = await h.visitor().get('/', { cookie: `${name}=${randomUUID()}.AAAA` });
    expect(forged.headers.getSetCookie()[0]).toMatch(/^synth_visitor_[0-9a-f]{8}=/);
    const script = await v.get('/static/app.js?v=1');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('follows a question through the shared conversation: parent, progress edited live, answer with its report page and downloads', async () => {
    const h = await start({ synthesize: scriptedSynthesize({ stepMs: 25, verifySteps: 3, report: (id) => makeReport({ id, claims: 5 }) }) });
    const v = h.visitor();
    await v.get('/');
    const stream = await v.stream();
    const asked = await v.post('/ask', { question: `Does vitamin D ${XSS} reduce fracture risk <!channel>?` });
    expect(asked.status).toBe(202);
    const { runId } = (await asked.json()) as { runId: string };
    const answer = await waitFor(() => byKind(stream.latest(), 'answer')[0], 'the answer');
    const [parent] = byKind(stream.latest(), 'parent');
    const [progress] = byKind(stream.latest(), 'progress');
    expect(parent!.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(parent!.html).not.toContain('<img');
    expect(progress!.thread).toBe(parent!.id);
    expect(answer.thread).toBe(parent!.id);
    // The progress message was edited in place, with the stages moving, and ended in one line before the answer.
    const edits = stream.messages.filter((m) => m.id === progress!.id);
    expect(new Set(edits.map((m) => m.text)).size).toBeGreaterThanOrEqual(3);
    expect(progress!.text).toMatch(/^Done in \d+\.\d s: 5 claims, quality 6\.5\/10\.$/);
    expect(stream.messages.findIndex((m) => m.id === progress!.id && m.text.startsWith('Done'))).toBeLessThan(stream.messages.findIndex((m) => m.kind === 'answer'));
    await waitFor(() => byKind(stream.latest(), 'parent')[0]!.html.includes('Answered below'), 'the parent with its outcome');
    expect(answer.html).toContain(`href="/reports/${runId}"`);
    expect(answer.html).toContain('<details>');
    expect(answer.html).toContain(`For <span class="user" data-visitor="${visitorName(visitorId(v))}"`);

    const report = await v.get(`/reports/${runId}`);
    expect(report.status).toBe(200);
    const html = await report.text();
    expect(html).toContain('id="claim-5"');
    expect(html).toContain('<svg class="prisma"');
    const json = await v.get(`/reports/${runId}/download/json`);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="synthesis-${runId.slice(0, 8)}.json"`);
    expect(((await json.json()) as { id: string }).id).toBe(runId);
    expect((await (await v.get(`/reports/${runId}/download/md`)).text()).startsWith('# Evidence synthesis')).toBe(true);
    expect(await (await v.get(`/reports/${runId}/download/bib`)).text()).toContain('@');
    expect((await v.get(`/reports/${randomUUID()}`)).status).toBe(404);
    expect((await v.get('/reports/..%2F..%2Fetc')).status).toBe(404);

    // A reload shows the same thread, drawn on the server.
    const again = await (await v.get('/')).text();
    expect(again).toContain(`id="m-${answer.id}"`);
    stream.close();
  });

  it('answers refusals at admission in the reply: an empty question, the per-user limit', async () => {
    const h = await start({ synthesize: scriptedSynthesize({ stepMs: 300 }), env: { SYNTH_MAX_RUNS_PER_USER: '1' } });
    const v = h.visitor();
    await v.get('/');
    const empty = await v.post('/ask', { question: '   ' });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { refusal: string }).refusal).toMatch(/^The question is empty/);
    expect((await v.post('/ask', { question: 'Does exercise help sleep?' })).status).toBe(202);
    const second = await v.post('/ask', { question: 'Does coffee help sleep?' });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { refusal: string }).refusal).toBe('You already have 1 synthesis run in progress. Wait for one to finish, then ask again.');
    // Another browser is another user.
    const other = h.visitor();
    await other.get('/');
    expect((await other.post('/ask', { question: 'Does coffee help sleep?' })).status).toBe(202);
    const bad = await v.post('/ask', { question: 'Does it?', yearFrom: 'soon' });
    expect(((await bad.json()) as { refusal: string }).refusal).toBe('The option yearFrom must be a whole number.');
  });

  it('lets only the asker cancel (after confirming) and retry, once', async () => {
    const h = await start({ synthesize: scriptedSynthesize({ stepMs: 150 }) });
    const asker = h.visitor();
    const other = h.visitor();
    await asker.get('/');
    await other.get('/');
    const stream = await asker.stream();
    const { runId } = (await (await asker.post('/ask', { question: 'Does exercise help sleep?' })).json()) as { runId: string };
    await waitFor(() => byKind(stream.latest(), 'progress')[0], 'the progress message');
    const askerName = visitorName(visitorId(asker));

    const refused = await other.post(`/runs/${runId}/cancel`, { confirm: '1' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ told: `Only visitor ${askerName}, who asked, can cancel this run.` });
    expect(await (await asker.post(`/runs/${runId}/cancel`)).json()).toEqual({ confirm: true });
    expect(await (await asker.post(`/runs/${runId}/cancel`, { confirm: '1' })).json()).toEqual({ cancelled: true });
    const failure = await waitFor(() => byKind(stream.latest(), 'failure')[0], 'the failure');
    expect(failure.text).toBe('The run failed. The run was cancelled.');
    expect(failure.html).toContain(`action="/runs/${runId}/retry"`);
    await waitFor(() => byKind(stream.latest(), 'parent')[0]!.html.includes('Cancelled.'), 'the parent marked cancelled');

    expect(await (await other.post(`/runs/${runId}/retry`)).json()).toEqual({
      told: `Only visitor ${askerName}, who asked, can retry this run. Ask the question yourself to get your own run.`,
    });
    const [first, second] = await Promise.all([asker.post(`/runs/${runId}/retry`), asker.post(`/runs/${runId}/retry`)]);
    const answers = [await first.json(), await second.json()];
    expect(answers).toContainEqual({ retried: true });
    expect(answers).toContainEqual({ told: 'This run has already been retried; the new run is in the thread.' });
    // The failure becomes "Retried by …" and the new run reports in the same thread.
    await waitFor(() => stream.latest().get(failure.id)!.html.includes('Retried by'), 'the failure replaced');
    const answer = await waitFor(() => byKind(stream.latest(), 'answer')[0], 'the retried answer', 15_000);
    expect(answer.thread).toBe(failure.thread);
    stream.close();
  });

  it('keeps other sites out: cross-site form posts, rebound host names, too many questions', async () => {
    const h = await start({ synthesize: scriptedSynthesize({}), adapter: { limits: { asksPerMinute: 3 } } });
    const v = h.visitor();
    await v.get('/');
    const forged = await v.post('/ask', { question: 'Does it work?' }, { origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    // fetch will not send another Host; node:http will, as a rebound name would.
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${h.base}/`, { headers: { host: 'evil.example' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    expect(rebound).toBe(421);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await v.post('/ask', { question: `Does exercise ${i} help?` })).status);
    expect(statuses.slice(0, 3).every((s) => s === 202 || s === 429)).toBe(true);
    expect(statuses[3]).toBe(429);
    await h.adapter.settled();
  });
});

describe('the thread on the page', () => {
  const CORPUS = fileURLToPath(new URL('../fixtures/corpus/exercise.jsonl', import.meta.url));
  const QUESTION = 'Does exercise reduce depressive symptoms in adults?';
  const reportOf = (m: StreamedMessage) => /href="\/reports\/([0-9a-f-]{36})"/.exec(m.html)![1]!;

  /** A visitor with one answered run, over the real pipeline and a small corpus. */
  async function answered() {
    const h = await start({ corpus: [CORPUS] });
    const v = h.visitor();
    await v.get('/');
    const stream = await v.stream();
    const { runId } = (await (await v.post('/ask', { question: QUESTION })).json()) as { runId: string };
    const answer = await waitFor(() => byKind(stream.latest(), 'answer')[0], 'the answer');
    await h.adapter.settled();
    const parent = byKind(stream.latest(), 'parent')[0]!;
    return { h, v, stream, runId, answer, parent };
  }

  it('answers a follow-up typed in the reply box from the thread’s papers, explains a claim, leaves chit-chat alone and shows hostile text as text', async () => {
    const { h, v, stream, runId, parent } = await answered();
    expect(await (await v.get('/')).text()).toContain(`action="/threads/${parent.id}/reply"`);

    // A follow-up: the visitor's words, then its progress and a second answer, in the same thread.
    const replied = await v.post(`/threads/${parent.id}/reply`, { text: 'does aerobic exercise reduce depressive symptoms?' });
    expect(replied.status).toBe(202);
    expect(await replied.json()).toEqual({ replied: 'follow-up' });
    const second = await waitFor(() => byKind(stream.latest(), 'answer')[1], 'the follow-up answer');
    await h.adapter.settled();
    expect(second.thread).toBe(parent.id);
    expect(byKind(stream.latest(), 'said')[0]).toMatchObject({ thread: parent.id, text: `visitor ${visitorName(visitorId(v))}: does aerobic exercise reduce depressive symptoms?` });
    expect(byKind(stream.latest(), 'parent')).toHaveLength(1);
    const original = (await h.stores.reports.get(runId)) as Report;
    const followUp = (await h.stores.reports.get(reportOf(second))) as Report;
    expect(followUp.followUp).toMatchObject({ of: original.id, question: 'does aerobic exercise reduce depressive symptoms?' });
    expect(followUp.followUp!.scope).toBe('thread');
    const known = new Set(original.references.map((r) => r.id));
    expect(followUp.references.every((r) => known.has(r.id))).toBe(true);
    expect(second.html).toContain('answered from this thread');

    // "explain claim 1": the claim's verbatim quote and evidence, in the thread.
    expect(await (await v.post(`/threads/${parent.id}/reply`, { text: 'explain claim 1' })).json()).toEqual({ replied: 'command' });
    const explained = await waitFor(() => byKind(stream.latest(), 'evidence')[0], 'the evidence');
    expect(explained.thread).toBe(parent.id);
    expect(explained.text).toBe(`Claim 1: ${original.claims[0]!.text}`);
    expect(explained.html).toContain('Verbatim quote from');
    expect(explained.html).toContain(`/claims/${encodeURIComponent(original.claims[0]!.id)}/flag"`);
    // A claim that is not there is said to the visitor only.
    expect(await (await v.post(`/threads/${parent.id}/reply`, { text: 'explain claim 99' })).json()).toMatchObject({ told: expect.stringMatching(/there is no claim 99\.$/) });

    // Chit-chat posts nothing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = stream.messages.length;
    const thanks = await v.post(`/threads/${parent.id}/reply`, { text: 'thanks' });
    expect(thanks.status).toBe(200);
    expect(((await thanks.json()) as { told: string }).told).toMatch(/^Nothing to answer there/);
    await h.adapter.settled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.messages.length).toBe(before);

    // Hostile text in a follow-up is text, in the visitor's message and in the answer.
    expect((await v.post(`/threads/${parent.id}/reply`, { text: `does aerobic exercise ${XSS} reduce depressive symptoms <!channel>?` })).status).toBe(202);
    await waitFor(() => byKind(stream.latest(), 'answer')[2], 'the third answer');
    await h.adapter.settled();
    const said = byKind(stream.latest(), 'said').at(-1)!;
    expect(said.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    for (const m of stream.latest().values()) expect(m.html).not.toMatch(/<img|onerror=alert\(1\)>/);

    // Other threads are not this visitor's; other sites cannot post.
    const other = h.visitor();
    await other.get('/');
    expect((await other.post(`/threads/${parent.id}/reply`, { text: 'what about children?' })).status).toBe(404);
    expect((await v.post(`/threads/${parent.id}/reply`, { text: 'what about children?' }, { origin: 'https://evil.example' })).status).toBe(403);
    // Without the script, the form posts and comes back to the page.
    const plain = await v.post(`/threads/${parent.id}/reply`, { text: 'thanks' }, { accept: 'text/html' });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('location')).toMatch(/^\/\?told=Nothing/);
    stream.close();
  });

  it('flags a claim with a reason (stored, said in the thread, "flagged by 1" on the answer) and keeps a vote', async () => {
    const { h, v, stream, runId, answer } = await answered();
    const report = (await h.stores.reports.get(runId)) as Report;
    const claim = report.claims[0]!;
    const action = `/reports/${runId}/claims/${encodeURIComponent(claim.id)}/flag`;
    expect(answer.html).toContain(`action="${action}"`);
    expect(answer.html).toContain(`action="/reports/${runId}/vote"`);

    const flagged = await v.post(action, { reason: `The trial ${XSS} was tiny` });
    expect(flagged.status).toBe(200);
    expect(await flagged.json()).toMatchObject({ ok: true, told: expect.stringMatching(/^Thanks: claim 1 is flagged\. Re-verified against the thread/) });
    const stored = ((await h.stores.reports.get(runId)) as Report).claims.find((c) => c.id === claim.id)!;
    expect(stored.flags).toHaveLength(1);
    expect(stored.flags![0]).toMatchObject({ by: visitorId(v), platform: 'web', reason: `The trial ${XSS} was tiny` });
    await waitFor(() => stream.latest().get(answer.id)!.html.includes('⚑ flagged by 1'), 'the answer redrawn');
    const notice = await waitFor(() => byKind(stream.latest(), 'notice').find((m) => m.text.startsWith('Claim 1 was flagged by')), 'the flag in the thread');
    expect(notice.thread).toBe(answer.thread);
    expect(notice.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(notice.html).not.toContain('<img');
    // The report page shows it too (its cached copy is not served stale).
    expect(await (await v.get(`/reports/${runId}`)).text()).toContain('⚑ flagged by 1');

    // A vote is kept as the report's feedback; only the answer's own visitor can flag or vote from the page.
    expect(await (await v.post(`/reports/${runId}/vote`, { vote: 'up' })).json()).toEqual({ ok: true, told: 'Thanks for the feedback (1 👍, 0 👎 so far).' });
    expect(((await h.stores.reports.get(runId)) as Report).feedback).toEqual([expect.objectContaining({ by: visitorId(v), platform: 'web', vote: 'up' })]);
    expect((await v.post(`/reports/${runId}/vote`, { vote: 'sideways' })).status).toBe(422);
    const other = h.visitor();
    await other.get('/');
    expect((await other.post(`/reports/${runId}/vote`, { vote: 'down' })).status).toBe(404);
    expect((await other.post(action, { reason: 'no' })).status).toBe(404);
    const plain = await v.post(`/reports/${runId}/vote`, { vote: 'down' }, { accept: 'text/html' });
    expect(plain.status).toBe(303);
    expect(decodeURIComponent(plain.headers.get('location')!)).toBe('/?told=Thanks for the feedback (0 👍, 1 👎 so far).');
    await h.adapter.settled();
    stream.close();
  });
});

describe('report pages once the page is exposed', () => {
  const SECRET = 'k'.repeat(48);
  const TOKEN = 'open-sesame-0123456789';

  it('open with a signed link or after the access token, and never by id alone', async () => {
    const env = { PUBLIC_URL: 'http://127.0.0.1', WEB_SECRET: SECRET, WEB_TOKEN: TOKEN };
    const h = await start({ synthesize: scriptedSynthesize({}), env });
    const id = randomUUID();
    await h.stores.reports.set(id, makeReport({ id }));
    const v = h.visitor();
    const plain = await v.get(`/reports/${id}`);
    expect(plain.status).toBe(303);
    expect(plain.headers.get('location')).toBe(`/access?next=${encodeURIComponent(`/reports/${id}`)}`);
    const signed = new URL(reportUrl(id, env)!);
    const page = await v.get(signed.pathname + signed.search);
    expect(page.status).toBe(200);
    // The downloads on the page carry the signature along.
    expect(await page.text()).toContain(`/reports/${id}/download/json${signed.search.replace(/&/g, '&amp;')}`);
    expect((await v.get(`/reports/${id}/download/json${signed.search}`)).status).toBe(200);
    const tampered = signed.search.replace(/sig=./, (s) => (s.endsWith('A') ? 'sig=B' : 'sig=A'));
    expect((await v.get(`/reports/${id}${tampered}`)).status).toBe(303);
    // Asking needs the token too.
    expect((await v.get('/')).status).toBe(303);
    expect((await v.post('/access', { token: 'wrong', next: '/' }, { accept: 'text/html' })).status).toBe(403);
    const granted = await v.post('/access', { token: TOKEN, next: `/reports/${id}` }, { accept: 'text/html' });
    expect(granted.status).toBe(303);
    expect(granted.headers.get('location')).toBe(`/reports/${id}`);
    expect((await v.get(`/reports/${id}`)).status).toBe(200);
    expect((await v.get('/')).status).toBe(200);
    // An open redirect is not on offer.
    const elsewhere = await h.visitor().post('/access', { token: TOKEN, next: '//evil.example/' }, { accept: 'text/html' });
    expect(elsewhere.headers.get('location')).toBe('/');
  });

  it('serve report pages only, by signed link, when no access token is set', async () => {
    const env = { PUBLIC_URL: 'http://127.0.0.1', WEB_SECRET: SECRET };
    const h = await start({ synthesize: scriptedSynthesize({}), env });
    const id = randomUUID();
    await h.stores.reports.set(id, makeReport({ id }));
    const v = h.visitor();
    expect((await v.get('/')).status).toBe(403);
    expect((await v.post('/ask', { question: 'Does it work?' })).status).toBe(403);
    expect((await v.get(`/reports/${id}`)).status).toBe(403);
    const signed = new URL(reportUrl(id, env)!);
    expect((await v.get(signed.pathname + signed.search)).status).toBe(200);
  });
});
