/**
 * The core's configuration: one zod schema over the environment, parsed once at start-up. Only this
 * module (and each adapter's own config module) reads `process.env`. A bad value fails fast, naming
 * the variable and what it accepts. Every variable is listed in `.env.example` (a test keeps them in step).
 */
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { LIVE_SOURCE_NAMES, type LiveSourceName } from './model.js';
import { parseSourceNames, SOURCE_LIST_HINT } from './sources/names.js';
import { maskUrlPassword, SECRET_VARIABLES } from './text/redact.js';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().trim().optional());
const url = (fallback: string) =>
  z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(fallback));
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` })
      .default(fallback),
  );

const price = z.preprocess(
  emptyToUndefined,
  z.coerce.number({ error: 'must be a price in US dollars per million tokens, e.g. 0.15' }).min(0, { error: 'must not be negative' }).optional(),
);

const sourcesList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default(LIVE_SOURCE_NAMES.join(','))
    .transform((value, ctx): LiveSourceName[] => {
      const { names, unknown } = parseSourceNames(value);
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown source(s) ${unknown.join(', ')}; use ${SOURCE_LIST_HINT}` });
        return z.NEVER;
      }
      return names;
    }),
);

const pathList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
);

/**
 * What is wrong with a `STORE_URL` that has the right scheme, or undefined. A query on an SQLite URL
 * would become part of the file name (`x.sqlite?password=…` created on disk); a Redis URL must parse,
 * port and all, or the driver fails later with a message of its own.
 */
function storeUrlProblem(value: string): string | undefined {
  if (value.startsWith('sqlite://') && /[?#]/.test(value)) {
    return 'must be sqlite://PATH, a file path with no ?query or #fragment (SQLite takes no options or password here)';
  }
  if (/^rediss?:\/\//.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return 'must be redis://[USER:PASSWORD@]HOST[:PORT] with a numeric port (this one does not parse as a URL)';
    }
    if (!parsed.hostname) return 'must be redis://[USER:PASSWORD@]HOST[:PORT]: the host is missing';
  }
  return undefined;
}

/** Schema of the core's environment variables, with their defaults. */
export const CoreEnvSchema = z.object({
  SYNTH_SOURCES: sourcesList,
  SYNTH_CORPUS: pathList,
  SYNTH_ENGINE: z.preprocess(emptyToUndefined, z.enum(['extractive', 'llm'], { error: 'must be extractive or llm' }).default('extractive')),
  SYNTH_MAX_PAPERS: int(20, 1, 200),
  SYNTH_INDEX_DIR: optionalString,
  SYNTH_SOURCE_TIMEOUT_MS: int(20_000, 1_000, 120_000),
  SYNTH_SOURCE_CACHE_TTL_MS: int(86_400_000, 0, 30 * 86_400_000),
  SYNTH_MAX_CONCURRENT_RUNS: int(2, 1, 32),
  SYNTH_MAX_RUNS_PER_USER: int(2, 1, 20),
  STORE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(?:sqlite:\/\/.+|memory:\/\/|redis(?:s)?:\/\/.+)$/, { error: 'must be sqlite://PATH, memory:// or redis://HOST:PORT' })
      .superRefine((value, ctx) => {
        const problem = storeUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('sqlite://.synthesize/store.sqlite'),
  ),
  QUEUE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^rediss?:\/\/.+$/, { error: 'must be redis://[USER:PASSWORD@]HOST[:PORT][/DB], or unset for the in-process queue' })
      .superRefine((value, ctx) => {
        const problem = storeUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  SYNTH_MAX_RUNS_TOTAL: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(10_000, { error: 'must be at most 10000' }).optional(),
  ),
  SYNTH_MAX_RESUMES: int(2, 0, 10),
  WORKER_LOCK_MS: int(30_000, 500, 600_000),
  WORKER_DRAIN_MS: int(30_000, 0, 3_600_000),
  WORKER_HEALTH_PORT: z.preprocess(emptyToUndefined, z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65_535, { error: 'must be a port number' }).optional()),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }).default('info'),
  ),
  CONTACT_EMAIL: z.preprocess(emptyToUndefined, z.email({ error: 'must be an e-mail address' }).optional()),
  OPENALEX_BASE_URL: url('https://api.openalex.org'),
  ARXIV_BASE_URL: url('https://export.arxiv.org/api'),
  CROSSREF_BASE_URL: url('https://api.crossref.org'),
  SEMANTIC_SCHOLAR_BASE_URL: url('https://api.semanticscholar.org/graph/v1'),
  PUBMED_BASE_URL: url('https://eutils.ncbi.nlm.nih.gov/entrez/eutils'),
  SEMANTIC_SCHOLAR_API_KEY: optionalString,
  NCBI_API_KEY: optionalString,
  LLM_PROVIDER: z.preprocess(emptyToUndefined, z.enum(['openai', 'anthropic'], { error: 'must be openai or anthropic' }).optional()),
  LLM_BASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  LLM_MAX_TOKENS_PER_REPORT: int(200_000, 1_000, 10_000_000),
  LLM_CONCURRENCY: int(4, 1, 64),
  LLM_TIMEOUT_MS: int(60_000, 100, 600_000),
  LLM_MAX_RETRIES: int(2, 0, 10),
  LLM_MAX_OUTPUT_TOKENS: int(1_500, 64, 65_536),
  LLM_TEMPERATURE: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a number from 0 to 2' }).min(0, { error: 'must be at least 0' }).max(2, { error: 'must be at most 2' }).optional(),
  ),
  LLM_STRUCTURED_OUTPUT: z.preprocess(
    emptyToUndefined,
    z.enum(['auto', 'json_schema', 'json_object', 'none'], { error: 'must be auto, json_schema, json_object or none' }).default('auto'),
  ),
  LLM_ON_ERROR: z.preprocess(emptyToUndefined, z.enum(['fallback', 'fail'], { error: 'must be fallback or fail' }).default('fallback')),
  LLM_PRICE_INPUT_PER_MTOK: price,
  LLM_PRICE_OUTPUT_PER_MTOK: price,
});

/** The parsed core configuration. */
export type CoreConfig = z.infer<typeof CoreEnvSchema>;

/**
 * Parses an environment (default `process.env`) against a schema, throwing a {@link ConfigError} that
 * names the first bad variable and what it accepts. The bad value is quoted to help spot a typo, but
 * never a secret: a key or token is not quoted at all, and a URL's password is shown as `***`.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const value = env[variable];
  const shown = value === undefined || (SECRET_VARIABLES as readonly string[]).includes(variable) ? undefined : maskUrlPassword(value);
  throw new ConfigError(variable, `${issue.message}${shown !== undefined ? ` (got "${shown}")` : ''}.`);
}

/**
 * Where the persistent corpus index lives: `SYNTH_INDEX_DIR`; else beside an SQLite store; else (a
 * Redis store) `.synthesize`. Undefined with `SYNTH_INDEX_DIR=none` or the `memory://` store (tests):
 * each process then indexes its corpus files in memory, as before the index existed.
 */
export function corpusIndexDir(config: Pick<CoreConfig, 'SYNTH_INDEX_DIR' | 'STORE_URL'>): string | undefined {
  if (config.SYNTH_INDEX_DIR) return config.SYNTH_INDEX_DIR === 'none' ? undefined : config.SYNTH_INDEX_DIR;
  if (config.STORE_URL.startsWith('sqlite://')) return dirname(config.STORE_URL.slice('sqlite://'.length));
  return config.STORE_URL === 'memory://' ? undefined : '.synthesize';
}

/** Loads the core configuration once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CoreConfig {
  return parseEnv(CoreEnvSchema, env);
}
