import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscordEnvSchema } from '../../adapters/discord/config.js';
import { SlackEnvSchema } from '../../adapters/slack/config.js';
import { WebEnvSchema } from '../../adapters/web/config.js';
import { CoreEnvSchema, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { ROOT } from '../helpers/paths.js';

/** Every variable of every configuration schema in the project (the core's and each adapter's). */
const SCHEMA_KEYS = [...Object.keys(CoreEnvSchema.shape), ...Object.keys(SlackEnvSchema.shape), ...Object.keys(DiscordEnvSchema.shape), ...Object.keys(WebEnvSchema.shape)];

describe('configuration', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      SYNTH_SOURCES: ['openalex', 'arxiv', 'crossref', 'semanticscholar', 'pubmed'],
      SYNTH_CORPUS: [],
      SYNTH_ENGINE: 'extractive',
      SYNTH_MAX_PAPERS: 20,
      STORE_URL: 'sqlite://.synthesize/store.sqlite',
      LOG_LEVEL: 'info',
      OPENALEX_BASE_URL: 'https://api.openalex.org',
    });
  });

  it('parses lists and treats empty values as unset', () => {
    const config = loadConfig({ SYNTH_SOURCES: ' PubMed, arxiv ,pubmed', SYNTH_CORPUS: 'a.jsonl, b.jsonl.gz', SYNTH_MAX_PAPERS: '', CONTACT_EMAIL: '' });
    expect(config.SYNTH_SOURCES).toEqual(['pubmed', 'arxiv']);
    expect(config.SYNTH_CORPUS).toEqual(['a.jsonl', 'b.jsonl.gz']);
    expect(config.SYNTH_MAX_PAPERS).toBe(20);
    expect(loadConfig({ SYNTH_SOURCES: 'none' }).SYNTH_SOURCES).toEqual([]);
  });

  it.each([
    ['SYNTH_SOURCES', 'openalex,google', /SYNTH_SOURCES: unknown source\(s\) google; use a comma list of openalex, arxiv/],
    ['SYNTH_ENGINE', 'gpt', /SYNTH_ENGINE: must be extractive or llm \(got "gpt"\)/],
    ['SYNTH_MAX_PAPERS', '0', /SYNTH_MAX_PAPERS: must be at least 1/],
    ['STORE_URL', 'postgres://x', /STORE_URL: must be sqlite:\/\/PATH, memory:\/\/ or redis:\/\/HOST:PORT/],
    ['OPENALEX_BASE_URL', 'ftp://x', /OPENALEX_BASE_URL: must be an http\(s\) URL/],
    ['CONTACT_EMAIL', 'nobody', /CONTACT_EMAIL: must be an e-mail address/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: must be one of fatal, error/],
  ])('fails fast naming %s and what it accepts', (variable, value, message) => {
    const error = (() => {
      try {
        loadConfig({ [variable]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toMatch(message);
  });

  it('keeps .env.example in step with the schemas', async () => {
    const text = await readFile(join(ROOT, '.env.example'), 'utf8');
    const listed = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...new Set(SCHEMA_KEYS)].sort());
  });
});
