/**
 * Stage checkpoints of a run, in the shared store: each stage's output is saved as it finishes, so a
 * run whose process stopped (a crash, `kill -9`, a deploy) is resumed by another process, or by the
 * same one restarted, from its last finished stage instead of from the start. Kept for a week at most
 * and removed once the run's report is saved.
 */
import type { Keyv } from 'keyv';
import { STAGES, type Stage } from '../events.js';
import type { StageCheckpoint, StageCheckpoints } from '../pipeline/synthesize.js';

/** How long a checkpoint is kept when its run never finishes. */
export const CHECKPOINT_TTL_MS = 7 * 24 * 3600 * 1000;

const key = (runId: string, stage: Stage) => `checkpoint:${runId}:${stage}`;

/** The checkpoints of run `runId` in `store`. */
export function storeCheckpoints(store: Keyv<unknown>, runId: string, ttlMs = CHECKPOINT_TTL_MS): StageCheckpoints {
  return {
    async load(stage) {
      const saved = await store.get(key(runId, stage));
      return typeof saved === 'string' ? (JSON.parse(saved) as StageCheckpoint) : undefined;
    },
    async save(stage, checkpoint) {
      // Saved as JSON text, so the memory store hands back a copy, as SQLite and Redis do.
      await store.set(key(runId, stage), JSON.stringify(checkpoint), ttlMs);
    },
  };
}

/** Which stages of `runId` have a checkpoint. */
export async function checkpointedStages(store: Keyv<unknown>, runId: string): Promise<Stage[]> {
  const found = await Promise.all(STAGES.map(async (stage) => ((await store.has(key(runId, stage))) ? stage : undefined)));
  return found.filter((s): s is Stage => s !== undefined);
}

/** Removes the checkpoints of `runId` (its report is saved). */
export async function clearCheckpoints(store: Keyv<unknown>, runId: string): Promise<void> {
  await Promise.all(STAGES.map((stage) => store.delete(key(runId, stage))));
}
