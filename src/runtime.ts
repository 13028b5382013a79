/**
 * Assembling a synthesizer from configuration: the corpus and live sources, the engine, the stores.
 * The CLI and the bot both start here, so they behave the same for the same settings.
 */
import { corpusIndexDir, type CoreConfig } from './config.js';
import type { Engine } from './engines/engine.js';
import { createExtractiveEngine } from './engines/extractive/index.js';
import { LLM_ENGINE_NAME, llmEngineFactory } from './engines/llm/register.js';
import { ConfigError, UsageError } from './errors.js';
import type { Logger } from './logger.js';
import type { LiveSourceName } from './model.js';
import { createSynthesizer, type Synthesize } from './pipeline/synthesize.js';
import { createCorpusSource } from './sources/corpus.js';
import { parseSourceNames, SOURCE_LIST_HINT } from './sources/names.js';
import { createLiveSources } from './sources/registry.js';
// Registers the live scholarly sources (OpenAlex, arXiv, Crossref, Semantic Scholar, PubMed).
import './sources/live.js';
import type { Source } from './sources/source.js';
import type { Stores } from './store/store.js';
import { secretValues } from './text/redact.js';

/** Choices that override the configuration (the CLI's flags). */
export interface RuntimeOverrides {
  corpus?: string[];
  sources?: LiveSourceName[];
  offline?: boolean;
  engine?: 'extractive' | 'llm';
}

/** What {@link createRuntime} builds. */
export interface Runtime {
  synthesize: Synthesize;
  engine: Engine;
  sources: Source[];
  skipped: { name: string; reason: string }[];
}

/** Engine factories beyond the built-in extractive one (the LLM engine registers itself here). */
export type EngineFactory = (config: CoreConfig, log: Logger) => Engine;
const engineFactories = new Map<string, EngineFactory>();

/** Registers an engine factory under a `SYNTH_ENGINE` name. */
export function registerEngine(name: string, factory: EngineFactory): void {
  engineFactories.set(name, factory);
}

registerEngine(LLM_ENGINE_NAME, llmEngineFactory);

/** Creates the engine named by the configuration. */
export function createEngine(name: string, config: CoreConfig, log: Logger): Engine {
  if (name === 'extractive') return createExtractiveEngine();
  const factory = engineFactories.get(name);
  if (!factory) throw new ConfigError('SYNTH_ENGINE', `the "${name}" engine is not available in this build; use extractive.`);
  return factory(config, log);
}

/** Builds sources, engine and synthesizer. */
export function createRuntime(config: CoreConfig, log: Logger, overrides: RuntimeOverrides = {}, stores?: Stores): Runtime {
  const corpus = overrides.corpus && overrides.corpus.length > 0 ? overrides.corpus : config.SYNTH_CORPUS;
  const wanted = overrides.sources ?? config.SYNTH_SOURCES;
  const sources: Source[] = [];
  const skipped: { name: string; reason: string }[] = [];
  if (corpus.length > 0) {
    const indexDir = corpusIndexDir(config);
    sources.push(createCorpusSource(corpus, indexDir !== undefined ? { indexDir } : {}));
  }
  if (overrides.offline) {
    for (const name of wanted) skipped.push({ name, reason: 'offline' });
  } else {
    const live = createLiveSources(wanted, { config, log, ...(stores ? { cache: stores.cache } : {}) });
    sources.push(...live.sources);
    skipped.push(...live.unavailable);
  }
  const engine = createEngine(overrides.engine ?? config.SYNTH_ENGINE, config, log);
  const synthesize = createSynthesizer({
    sources,
    skippedSources: skipped,
    engine,
    log,
    sourceTimeoutMs: config.SYNTH_SOURCE_TIMEOUT_MS,
    secrets: secretValues(config),
  });
  return { synthesize, engine, sources, skipped };
}

/** Parses a `--sources` value (comma list of live source names, or `none`). */
export function parseSourceList(value: string): LiveSourceName[] {
  const { names, unknown } = parseSourceNames(value);
  if (unknown.length > 0) throw new UsageError(`--sources: unknown source(s) ${unknown.join(', ')}; use ${SOURCE_LIST_HINT}.`);
  return names;
}

/**
 * Builds the index of every corpus source before the process takes work: building blocks the process
 * for a few seconds, which must not fall inside a platform's acknowledgement deadline, a page's first
 * load or a worker's first run. A corpus that cannot be read is logged; its runs fail with the reason.
 */
export async function loadCorpora(sources: readonly Source[], log: Logger): Promise<void> {
  for (const source of sources) {
    const load = (source as { load?: () => Promise<{ papers: unknown[]; paperCount?: number; loadMs: number }> }).load;
    if (typeof load !== 'function') continue;
    await load
      .call(source)
      // A persistent index keeps its papers on disk and says how many (`paperCount`).
      .then((corpus) => log.info({ papers: corpus.paperCount ?? corpus.papers.length, ms: Math.round(corpus.loadMs) }, 'corpus index ready'))
      .catch((error: unknown) => log.error({ err: error }, 'could not load the corpus'));
  }
}
