/**
 * Building the live sources named in the configuration. Each live source module registers a factory
 * here; a name without one is reported as skipped rather than silently ignored.
 */
import type { CoreConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { LiveSourceName } from '../model.js';
import type { Stores } from '../store/store.js';
import type { Source } from './source.js';

/** What a live source factory gets. */
export interface LiveSourceDeps {
  config: CoreConfig;
  log: Logger;
  /** The HTTP response cache (keyv), when a store is configured. */
  cache?: Stores['cache'];
}

/** Builds one live source. */
export type LiveSourceFactory = (deps: LiveSourceDeps) => Source;

const factories = new Map<LiveSourceName, LiveSourceFactory>();

/** Registers the factory of a live source. */
export function registerLiveSource(name: LiveSourceName, factory: LiveSourceFactory): void {
  factories.set(name, factory);
}

/** Builds the named live sources; names without a factory come back in `unavailable`. */
export function createLiveSources(
  names: readonly LiveSourceName[],
  deps: LiveSourceDeps,
): { sources: Source[]; unavailable: { name: string; reason: string }[] } {
  const sources: Source[] = [];
  const unavailable: { name: string; reason: string }[] = [];
  for (const name of names) {
    const factory = factories.get(name);
    if (factory) sources.push(factory(deps));
    else unavailable.push({ name, reason: 'not available in this build' });
  }
  return { sources, unavailable };
}
