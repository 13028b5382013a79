/**
 * The LLM engine's entry for the engine registry: `src/runtime.ts` registers it under `llm`, so
 * `SYNTH_ENGINE=llm`, `--engine llm` and `synthesize eval verify --engine llm` use it. (The runtime
 * calls `registerEngine` itself: this module importing the runtime would make an import cycle.)
 */
import type { EngineFactory } from '../../runtime.js';
import { createLlmEngineFromConfig } from './index.js';

/** The `SYNTH_ENGINE` name of the LLM engine. */
export const LLM_ENGINE_NAME = 'llm';

/** Builds the LLM engine from the core configuration. */
export const llmEngineFactory: EngineFactory = (config, log) => createLlmEngineFromConfig(config, log);
