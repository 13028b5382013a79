/**
 * Signed requests whose bodies Bolt's HTTP receiver does not expect (issue 12): before the guard,
 * `payload=null` made Bolt read a property of null outside any handler, and the unhandled rejection
 * ended the process. Each is answered 400 and logged; the bot keeps answering commands after them.
 * Timestamps more than five minutes off in either direction are refused (Bolt refuses only old ones).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SECRETS, startSlackHarness, type Harness } from './harness.js';
import { makeReport, scriptedSynthesize } from './scripted.js';
import { slackSignature } from './slack-requests.js';

/** POSTs a signed body, giving up after 4 s (a request Bolt dropped is never answered). */
async function send(url: string, body: string, contentType: string, timestamp = Math.floor(Date.now() / 1000)): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(SECRETS.signingSecret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(4000),
  });
  return { status: response.status, text: await response.text() };
}

const FORM = 'application/x-www-form-urlencoded';

describe('hostile signed requests to the Slack HTTP receiver', () => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => void unhandled.push(reason);
  beforeAll(async () => {
    h = await startSlackHarness({ synthesize: scriptedSynthesize({ report: (id) => makeReport({ id }) }) });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });

  const bodies: [string, string, string][] = [
    ['payload=null', 'payload=null', FORM],
    ['payload= (empty)', 'payload=', FORM],
    ['payload=[]', 'payload=%5B%5D', FORM],
    ['payload={}', 'payload=%7B%7D', FORM],
    ['payload=42', 'payload=42', FORM],
    ['payload="text"', 'payload=%22text%22', FORM],
    ['a non-JSON payload', 'payload=%7Bnot%20json', FORM],
    ['a JSON body null', 'null', 'application/json'],
    ['a JSON array body', '[1,2]', 'application/json'],
    ['a non-JSON JSON body', '{"type":', 'application/json'],
    ['a form body without a command or payload', 'foo=bar', FORM],
  ];

  it.each(bodies)('answers %s with 400 and a log line, and keeps running', async (_name, body, contentType) => {
    const before = h.logs().length;
    const answer = await send(h.url, body, contentType);
    expect(answer.status).toBe(400);
    // Let anything Bolt left running settle before checking nothing escaped.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    expect(h.logs().slice(before)).toMatch(/"msg":"Slack request refused: [^"]+"/);
    const command = await h.command('Does vitamin D reduce fracture risk?');
    expect(command.status).toBe(200);
    await h.adapter.settled();
  });

  it('refuses a request timestamped more than five minutes in the future or the past, as Slack advises', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await h.command('Does it work?', { timestamp: now + 6 * 60 })).status).toBe(401);
    expect((await h.command('Does it work?', { timestamp: now - 6 * 60 })).status).toBe(401);
    expect(h.logs()).toContain('more than 5 minutes');
    // Within the window, early or late clocks are fine.
    expect((await h.command('Does it work?', { timestamp: now + 4 * 60 })).status).toBe(200);
    expect((await h.command('Does it work?', { timestamp: now - 4 * 60 })).status).toBe(200);
    await h.adapter.settled();
  });

  it('still refuses a badly signed request before reading its body', async () => {
    const before = h.logs().length;
    expect((await h.command('payload=null', { signWith: 'not-the-secret' })).status).toBe(401);
    expect(h.logs().slice(before)).not.toContain('Slack request refused: body');
  });

  it('answers an Evidence click for a claim a stored report does not have with that, not "no longer stored"', async () => {
    await h.core.stores.reports.set('report-stored', makeReport({ id: 'report-stored' }));
    const click = { actionId: 'claim_toggle:0', channel: 'C0RESEARCH', messageTs: '1700000000.000100' };
    const before = h.fake.responses.length;
    await h.click({ ...click, value: 'report-stored|c999' });
    await h.fake.waitFor(() => h.fake.responses.length > before, 3000, 'the reply');
    expect(h.fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('This report has no claim c999') });
    await h.click({ ...click, value: 'report-gone|c1' });
    await h.fake.waitFor(() => h.fake.responses.length > before + 1, 3000, 'the second reply');
    expect(String(h.fake.responses.at(-1)!.body.text)).toContain('This report is no longer stored');
  });
});
