import { createConnection, createServer } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { drainRefused } from '../helpers/loopback-only.js';

describe('the loopback guard every test runs under', () => {
  it('refuses a connection to a real host, as the default API base URLs would need, and records it', async () => {
    const socket = createConnection({ host: '198.51.100.7', port: 443 });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/ECONNREFUSED 198\.51\.100\.7/);
    // The configuration's defaults name the real APIs (test/core/config.test.ts checks the strings only);
    // a client left on them is refused here instead of leaving the machine.
    const openalex = loadConfig({}).OPENALEX_BASE_URL;
    await expect(request(`${openalex}/works?search=x`, { headersTimeout: 2000 })).rejects.toThrow();
    expect(drainRefused()).toEqual(['198.51.100.7', new URL(openalex).hostname]);
  });

  it('lets loopback fakes through', async () => {
    const server = createServer((s) => s.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('data', (d) => resolve(String(d)));
      socket.once('error', reject);
    });
    server.close();
    expect(reply).toBe('ok');
    expect(drainRefused()).toEqual([]);
  });
});
