/**
 * The contract between `npm start` and the chat adapters. Each adapter is a module with its own
 * configuration (read from the environment by its own zod schema) and a factory over the core.
 */
import type { Core } from '../src/core.js';
import type { JobRecord } from '../src/jobs/job.js';

/** A running chat adapter. */
export interface ChatAdapter {
  readonly name: string;
  /** Connects and starts handling commands; resolves once it is listening. */
  start(): Promise<void>;
  /** Stops handling new commands and disconnects. */
  stop(): Promise<void>;
  /**
   * Finishes the delivery of this platform's runs that a stopped process left unfinished (the jobs
   * `JobRunner.sweep` took over): posts a ready answer, or tells the thread the run was interrupted
   * and offers a retry, and brings the progress and parent to their final state. Called after `start`
   * and whenever a sweep takes runs over.
   */
  announceInterrupted?(jobs: JobRecord[]): Promise<void>;
  /** Where a person opens it, when it serves a page (the web adapter), after `start`. */
  url?(): string | undefined;
}

/** An adapter module as `adapters/start.ts` sees it. */
export interface AdapterModule<C = unknown> {
  readonly name: string;
  /** The variables that enable this adapter, for the "nothing configured" message. */
  readonly variables: readonly string[];
  /**
   * An adapter that runs with no settings (the web page): its settings are read after the others',
   * with the names of those configured, so it can decide whether to run beside them.
   */
  readonly embeddedDefault?: boolean;
  /**
   * Reads the adapter's settings. Returns undefined when the adapter is not configured at all (its
   * enabling variable is unset); throws a `ConfigError` naming the variable when a value is bad.
   */
  loadConfig(env: Record<string, string | undefined>, context?: { configured: readonly string[] }): C | undefined;
  create(config: C, core: Core): ChatAdapter;
}
