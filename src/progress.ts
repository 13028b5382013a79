/**
 * Folding progress events into a snapshot that any renderer can draw: each stage's state, counts and
 * time, each source's outcome, and verification progress. The CLI, Slack and Discord all draw from it,
 * so they say the same thing.
 */
import { STAGE_LABELS, STAGES, type ProgressEvent, type Stage } from './events.js';

/** One stage in a snapshot. */
export interface StageState {
  stage: Stage;
  label: string;
  status: 'pending' | 'running' | 'done';
  ms?: number;
  counts?: Record<string, number>;
  /** e.g. "claim 3 of 8" */
  detail?: string;
}

/** One source in a snapshot. */
export interface SourceState {
  name: string;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  found?: number;
  error?: string;
  ms?: number;
}

/** Everything known about a run's progress. */
export interface ProgressSnapshot {
  stages: StageState[];
  sources: SourceState[];
  elapsedMs: number;
  queuedPosition?: number;
  finished?: { reportId: string; claims: number; qualityScore: number };
  failed?: { code: string; message: string };
  warnings: string[];
}

/** Accumulates events into a {@link ProgressSnapshot}. */
export interface ProgressTracker {
  apply(event: ProgressEvent): void;
  snapshot(): ProgressSnapshot;
}

/** Creates a tracker. */
export function createProgressTracker(): ProgressTracker {
  const stages = new Map<Stage, StageState>(STAGES.map((stage) => [stage, { stage, label: STAGE_LABELS[stage], status: 'pending' }]));
  const sources = new Map<string, SourceState>();
  const warnings: string[] = [];
  let elapsedMs = 0;
  let queuedPosition: number | undefined;
  let finished: ProgressSnapshot['finished'];
  let failed: ProgressSnapshot['failed'];
  return {
    apply(event) {
      elapsedMs = Math.max(elapsedMs, event.elapsedMs);
      switch (event.type) {
        case 'run-queued':
          queuedPosition = event.position;
          break;
        case 'run-started':
          queuedPosition = undefined;
          break;
        case 'stage-started':
          queuedPosition = undefined;
          stages.get(event.stage)!.status = 'running';
          break;
        case 'stage-progress': {
          const s = stages.get(event.stage)!;
          s.detail = event.detail ?? `${event.done} of ${event.total}`;
          break;
        }
        case 'stage-finished': {
          const s = stages.get(event.stage)!;
          Object.assign(s, { status: 'done', ms: event.ms, counts: event.counts });
          delete s.detail;
          break;
        }
        case 'source-started':
          sources.set(event.source, { name: event.source, status: 'running' });
          break;
        case 'source-finished': {
          const state: SourceState = { name: event.source, status: event.status, found: event.found, ms: event.ms };
          if (event.error) state.error = event.error;
          sources.set(event.source, state);
          break;
        }
        case 'warning':
          if (!warnings.includes(event.message)) warnings.push(event.message);
          break;
        case 'run-finished':
          finished = { reportId: event.reportId, claims: event.claims, qualityScore: event.qualityScore };
          break;
        case 'run-failed':
          failed = { code: event.code, message: event.message };
          break;
      }
    },
    snapshot() {
      const snap: ProgressSnapshot = {
        stages: [...stages.values()].map((s) => ({ ...s })),
        sources: [...sources.values()].map((s) => ({ ...s })),
        elapsedMs,
        warnings: [...warnings],
      };
      if (queuedPosition !== undefined) snap.queuedPosition = queuedPosition;
      if (finished) snap.finished = finished;
      if (failed) snap.failed = failed;
      return snap;
    },
  };
}

/** Seconds with one decimal: `1.2 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A one-line description of a stage's outcome, e.g. `Searching: openalex 25, arxiv failed (timeout)`. */
export function describeStage(stage: StageState, sources: readonly SourceState[]): string {
  const counts = stage.counts ?? {};
  switch (stage.stage) {
    case 'search': {
      const list = sources
        .map((s) =>
          s.status === 'ok' ? `${s.name} ${s.found}` : s.status === 'running' ? `${s.name} …` : `${s.name} ${s.status}${s.error ? ` (${s.error})` : ''}`,
        )
        .join(', ');
      // While a corpus index is built, its progress line says what the search is waiting for.
      if (stage.status === 'running' && stage.detail) return [list, stage.detail].filter(Boolean).join('; ');
      return list || (stage.status === 'done' ? `${counts.identified ?? 0} records` : '');
    }
    case 'plan':
      return stage.status === 'done' ? `${counts.keyTerms ?? 0} key terms` : '';
    case 'dedupe':
      return stage.status === 'done' ? `${counts.unique ?? 0} unique (${counts.duplicates ?? 0} duplicates merged)` : '';
    case 'screen':
      return stage.status === 'done' ? `${counts.screened ?? 0} relevant, ${counts.excluded ?? 0} excluded` : '';
    case 'extract':
      return stage.status === 'done' ? `${counts.claims ?? 0} claims${counts.rejected ? ` (${counts.rejected} dropped by the quote check)` : ''}` : '';
    case 'verify':
      return stage.status === 'done'
        ? `${counts.supported ?? 0} supported, ${counts.contradicted ?? 0} contradicted of ${counts.claims ?? 0}`
        : (stage.detail ?? '');
    case 'review':
      return stage.status === 'done' ? `quality ${counts.qualityScore ?? 0}/10 from ${counts.reviewers ?? 0} reviewers` : '';
    case 'compose':
      return stage.status === 'done' ? `${counts.references ?? 0} references` : '';
  }
}

/** Plain-text lines for a snapshot: one per stage started so far. */
export function renderProgressLines(snapshot: ProgressSnapshot): string[] {
  const lines: string[] = [];
  if (snapshot.queuedPosition !== undefined) lines.push(`Queued (position ${snapshot.queuedPosition})`);
  for (const stage of snapshot.stages) {
    if (stage.status === 'pending') continue;
    const mark = stage.status === 'done' ? '✓' : '…';
    const detail = describeStage(stage, snapshot.sources);
    const time = stage.ms !== undefined ? ` (${formatSeconds(stage.ms)})` : '';
    lines.push(`${mark} ${stage.label}${detail ? `: ${detail}` : ''}${time}`);
  }
  return lines;
}
