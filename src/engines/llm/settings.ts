/**
 * The LLM engine's settings, resolved once from the core configuration (`src/config.ts` reads the
 * environment; this module only checks what the engine needs). A missing required value fails fast
 * with a {@link ConfigError} that names the variable and says how to fix it.
 */
import type { CoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';

/** Which wire protocol the endpoint speaks. */
export type ProviderName = 'openai' | 'anthropic';

/** How the OpenAI-compatible provider asks for JSON (see `LLM_STRUCTURED_OUTPUT`). */
export type StructuredOutputMode = 'auto' | 'json_schema' | 'json_object' | 'none';

/** Everything the engine needs, with defaults applied. */
export interface LlmSettings {
  provider: ProviderName;
  /** Endpoint base URL without a trailing slash. */
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  /** Tokens (prompt + completion) one report may use; the run ends gracefully with what it has. */
  maxTokensPerReport: number;
  /** Model calls running at once, per process. */
  concurrency: number;
  /** Milliseconds one call attempt may take. */
  timeoutMs: number;
  /** Retries after the first attempt (429, 5xx, timeouts, connection errors). */
  maxRetries: number;
  /** Most tokens one reply may use. */
  maxOutputTokens: number;
  temperature?: number | undefined;
  structuredOutput: StructuredOutputMode;
  /** `fallback`: an unreachable or failing model hands the rest of the run to the extractive engine. */
  onError: 'fallback' | 'fail';
  /** US dollars per million prompt / completion tokens, when both are configured. */
  prices?: { inputPerMTok: number; outputPerMTok: number } | undefined;
}

/** Default endpoint of each provider (the OpenAI one includes `/v1`, as OpenAI-compatible servers expect). */
export const DEFAULT_BASE_URLS: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

/** Hosts that always need a key: a hosted API, not a local server. */
const HOSTED = /(?:^|\.)(?:openai\.com|anthropic\.com|openrouter\.ai|azure\.com|together\.xyz|groq\.com|mistral\.ai|deepseek\.com)$/i;

/** Resolves and checks the engine's settings. Throws a {@link ConfigError} saying how to fix a missing value. */
export function resolveLlmSettings(config: CoreConfig): LlmSettings {
  const provider = config.LLM_PROVIDER;
  if (!provider) {
    throw new ConfigError(
      'LLM_PROVIDER',
      'missing. Set it to openai (any OpenAI-compatible server: OpenAI, Azure, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter) or anthropic, or use --engine extractive.',
    );
  }
  const model = config.LLM_MODEL;
  if (!model) {
    throw new ConfigError(
      'LLM_MODEL',
      `missing. Set it to the model name your endpoint serves, e.g. ${provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4o-mini, or llama3.1:8b for Ollama'}.`,
    );
  }
  const baseUrl = (config.LLM_BASE_URL ?? DEFAULT_BASE_URLS[provider]).replace(/\/+$/, '');
  const host = new URL(baseUrl).hostname;
  if (!config.LLM_API_KEY && (provider === 'anthropic' || HOSTED.test(host))) {
    throw new ConfigError(
      'LLM_API_KEY',
      `missing. ${host} needs an API key: set LLM_API_KEY, or point LLM_BASE_URL at a local server (e.g. http://localhost:11434/v1 for Ollama).`,
    );
  }
  if (config.LLM_MAX_TOKENS_PER_REPORT < 2 * config.LLM_MAX_OUTPUT_TOKENS) {
    throw new ConfigError(
      'LLM_MAX_TOKENS_PER_REPORT',
      `${config.LLM_MAX_TOKENS_PER_REPORT} leaves no room for a call that may answer with LLM_MAX_OUTPUT_TOKENS=${config.LLM_MAX_OUTPUT_TOKENS} tokens plus its prompt. Raise it (default 200000) or lower LLM_MAX_OUTPUT_TOKENS.`,
    );
  }
  const inputPrice = config.LLM_PRICE_INPUT_PER_MTOK;
  const outputPrice = config.LLM_PRICE_OUTPUT_PER_MTOK;
  if ((inputPrice === undefined) !== (outputPrice === undefined)) {
    throw new ConfigError(
      inputPrice === undefined ? 'LLM_PRICE_INPUT_PER_MTOK' : 'LLM_PRICE_OUTPUT_PER_MTOK',
      'missing. Set both LLM_PRICE_INPUT_PER_MTOK and LLM_PRICE_OUTPUT_PER_MTOK (US dollars per million tokens), or neither.',
    );
  }
  return {
    provider,
    baseUrl,
    apiKey: config.LLM_API_KEY,
    model,
    maxTokensPerReport: config.LLM_MAX_TOKENS_PER_REPORT,
    concurrency: config.LLM_CONCURRENCY,
    timeoutMs: config.LLM_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    maxOutputTokens: config.LLM_MAX_OUTPUT_TOKENS,
    temperature: config.LLM_TEMPERATURE,
    structuredOutput: config.LLM_STRUCTURED_OUTPUT,
    onError: config.LLM_ON_ERROR,
    prices: inputPrice !== undefined && outputPrice !== undefined ? { inputPerMTok: inputPrice, outputPerMTok: outputPrice } : undefined,
  };
}
