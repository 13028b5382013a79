import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ROOT } from '../helpers/paths.js';

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? files(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat().filter((f) => f.endsWith('.ts'));
}

describe('the core stays platform-free', () => {
  it('imports nothing from Slack, Discord or the adapters', async () => {
    const offenders: string[] = [];
    for (const file of await files(join(ROOT, 'src'))) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (/^@slack\/|^discord\.js|^@discordjs\/|adapters\//.test(m[1]!)) offenders.push(`${relative(ROOT, file)}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('uses no default exports and no console logging in the core', async () => {
    const offenders: string[] = [];
    for (const file of await files(join(ROOT, 'src'))) {
      const text = await readFile(file, 'utf8');
      if (/^export default/m.test(text)) offenders.push(`${relative(ROOT, file)}: default export`);
      if (/\bconsole\.(log|info|warn|error)\(/.test(text)) offenders.push(`${relative(ROOT, file)}: console`);
    }
    expect(offenders).toEqual([]);
  });
});

describe('logging', () => {
  it('never writes tokens, keys or auth headers', async () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const log = createLogger({ destination: stream, level: 'info' });
    log.info(
      {
        token: 'xoxb-secret-1',
        config: { SLACK_BOT_TOKEN: 'xoxb-secret-2', LLM_API_KEY: 'sk-secret-3' },
        headers: { authorization: 'Bearer secret-4' },
        request: { headers: { authorization: 'Bot secret-5' } },
        client: { apiKey: 'secret-6' },
      },
      'hello',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(out).toContain('hello');
    expect(out).not.toMatch(/secret-\d/);
    expect(out.match(/\[redacted\]/g)?.length).toBe(6);
  });
});

describe('one HTTP stack', () => {
  it('loads the same undici for our HTTP layer and for discord.js', async () => {
    // The Discord adapter hands discord.js an agent made by our undici: it must be the undici
    // discord.js itself uses, or that agent mangles its request bodies (file uploads failed that way).
    const { createRequire } = await import('node:module');
    const ours = createRequire(join(ROOT, 'package.json')).resolve('undici');
    const discordRest = createRequire(createRequire(join(ROOT, 'package.json')).resolve('@discordjs/rest')).resolve('undici');
    expect(discordRest).toBe(ours);
  });
});
