import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAckGate } from '../../adapters/slack/ack-gate.js';

describe('the ack gate', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  });

  const serve = async (delayMs: number) => {
    server = createServer((_req, res) => void setTimeout(() => res.end('ok'), delayMs));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  };

  it('is open at once when nothing is being served (and in Socket Mode)', async () => {
    const started = performance.now();
    await createAckGate().whenIdle();
    expect(performance.now() - started).toBeLessThan(20);
  });

  it('holds follow-up work until every request is answered and the server has been quiet', async () => {
    const url = await serve(80);
    const gate = createAckGate({ quietMs: 30, maxWaitMs: 2000 });
    gate.watch(server!);
    const answered: number[] = [];
    let arrived = 0;
    server!.on('request', (_req, res) => {
      arrived++;
      res.once('finish', () => answered.push(performance.now()));
    });
    const requests = [0, 1, 2].map(() => fetch(url));
    while (arrived < 3) await new Promise((r) => setTimeout(r, 5));
    await gate.whenIdle();
    const opened = performance.now();
    expect(answered).toHaveLength(3);
    expect(answered.every((t) => t <= opened)).toBe(true);
    await Promise.all(requests);
  });

  it('never waits longer than maxWaitMs', async () => {
    const url = await serve(1000);
    const gate = createAckGate({ quietMs: 30, maxWaitMs: 100 });
    gate.watch(server!);
    let arrived = false;
    server!.on('request', () => (arrived = true));
    const request = fetch(url);
    while (!arrived) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await gate.whenIdle();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(400);
    await request;
  });
});
