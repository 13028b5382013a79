/**
 * The LLM engine: the judgement steps (plan, extract, verify, review, compose) done by a language
 * model behind an OpenAI-compatible or Anthropic endpoint, with the same report contract and the same
 * guarantees as the extractive engine (the core re-checks every quote and citation).
 *
 * The engine itself holds what is shared by every run of a process (the provider, the concurrency
 * limit, which `configureSharedLimits` makes hold across processes); each run gets its own session through `forRun()`, with its own token budget and accounts.
 * Called directly (as `synthesize eval verify` does), the engine has no token budget and fails
 * instead of falling back when the endpoint fails, so an evaluation never silently measures the
 * extractive engine.
 */
import type { CoreConfig } from '../../config.js';
import { sharedConcurrencyLimiter } from '../../limits/shared.js';
import type { Logger } from '../../logger.js';
import { maskUrlPassword } from '../../text/redact.js';
import type { Engine } from '../engine.js';
import { createAnthropicProvider } from './anthropic.js';
import { createOpenAiProvider, type ProviderDeps } from './openai.js';
import type { ModelProvider } from './provider.js';
import { createLlmSession } from './session.js';
import { resolveLlmSettings, type LlmSettings } from './settings.js';

/** Dependencies of {@link createLlmEngine}. */
export interface LlmEngineDeps extends ProviderDeps {
  log?: Logger;
  /** Use this provider instead of the one the settings name (tests, other transports). */
  provider?: ModelProvider;
}

/** Creates the provider the settings name. */
export function createProvider(settings: LlmSettings, deps: ProviderDeps = {}): ModelProvider {
  return settings.provider === 'anthropic' ? createAnthropicProvider(settings, deps) : createOpenAiProvider(settings, deps);
}

/** Creates the LLM engine from resolved settings. */
export function createLlmEngine(settings: LlmSettings, deps: LlmEngineDeps = {}): Engine {
  const provider = deps.provider ?? createProvider(settings, deps);
  // LLM_CONCURRENCY is per endpoint and model; with shared limits configured it holds across processes
  // (the name becomes a Redis key, so a password in the URL stays out of it).
  const limiter = sharedConcurrencyLimiter(`llm:${maskUrlPassword(settings.baseUrl)} ${settings.model}`, settings.concurrency);
  const direct = createLlmSession({ provider, settings, limiter, maxTokens: Infinity, onError: 'fail' });
  deps.log?.debug({ provider: provider.name, model: provider.model, baseUrl: settings.baseUrl }, 'LLM engine ready');
  return {
    ...direct,
    get name() {
      return direct.name;
    },
    forRun: () => createLlmSession({ provider, settings, limiter, maxTokens: settings.maxTokensPerReport, onError: settings.onError }),
  };
}

/** Creates the LLM engine from the core configuration; throws a `ConfigError` saying how to fix a missing value. */
export function createLlmEngineFromConfig(config: CoreConfig, log: Logger): Engine {
  return createLlmEngine(resolveLlmSettings(config), { log });
}

export { resolveLlmSettings, type LlmSettings } from './settings.js';
