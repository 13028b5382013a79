/**
 * Progress events: one discriminated union that every stage emits and every adapter renders
 * (terminal lines, Slack and Discord thread edits). A throwing listener is logged, never fatal.
 */
import type { Logger } from 'pino';

/** The pipeline's stages, in order. */
export const STAGES = ['plan', 'search', 'dedupe', 'screen', 'extract', 'verify', 'review', 'compose'] as const;
/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** Human labels for stages, shared by every renderer. */
export const STAGE_LABELS: Record<Stage, string> = {
  plan: 'Planning the search',
  search: 'Searching',
  dedupe: 'De-duplicating',
  screen: 'Screening',
  extract: 'Extracting claims',
  verify: 'Verifying claims',
  review: 'Reviewing',
  compose: 'Writing the report',
};

interface EventBase {
  runId: string;
  /** Milliseconds since the run started. */
  elapsedMs: number;
}

/** Every progress event a run can emit. */
export type ProgressEvent =
  | (EventBase & { type: 'run-queued'; position: number })
  | (EventBase & { type: 'run-started'; question: string })
  | (EventBase & { type: 'stage-started'; stage: Stage })
  | (EventBase & { type: 'source-started'; source: string })
  | (EventBase & {
      type: 'source-finished';
      source: string;
      status: 'ok' | 'failed' | 'skipped';
      found: number;
      error?: string;
      ms: number;
    })
  | (EventBase & { type: 'stage-progress'; stage: Stage; done: number; total: number; detail?: string })
  | (EventBase & {
      type: 'stage-finished';
      stage: Stage;
      ms: number;
      counts: Record<string, number>;
      /** Done before the run was resumed (its saved output was used, see `src/jobs/checkpoints.ts`). */
      resumed?: boolean;
    })
  | (EventBase & { type: 'warning'; stage?: Stage; code: string; message: string })
  | (EventBase & { type: 'run-finished'; reportId: string; claims: number; qualityScore: number })
  | (EventBase & { type: 'run-failed'; code: string; message: string });

/** The `type` of a {@link ProgressEvent}. */
export type ProgressEventType = ProgressEvent['type'];

/** Distributes an event over `Omit` for each member of the union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the emitter stamps `runId` and `elapsedMs`. */
export type ProgressEventInput = DistributiveOmit<ProgressEvent, 'runId' | 'elapsedMs'>;

/** A progress listener; may be async, may throw: neither blocks nor breaks the run. */
export type ProgressListener = (event: ProgressEvent) => void | Promise<void>;

/**
 * Makes the `emit` function a run passes to its stages: stamps run id and elapsed time, and calls each
 * listener so that a throwing or rejecting listener is logged and the run goes on.
 */
export function createEmitter(
  runId: string,
  listeners: ProgressListener[],
  log: Logger,
  now: () => number = Date.now,
): (event: ProgressEventInput) => void {
  const startedAt = now();
  return (input) => {
    const event = { ...input, runId, elapsedMs: now() - startedAt } as ProgressEvent;
    for (const listener of listeners) {
      try {
        const result = listener(event);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((error: unknown) => {
            log.warn({ err: error, event: event.type }, 'progress listener failed');
          });
        }
      } catch (error) {
        log.warn({ err: error, event: event.type }, 'progress listener failed');
      }
    }
  };
}
