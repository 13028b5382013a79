/**
 * Following one run in Discord: open the place it is reported in (a thread on the parent message, or
 * the channel when threads are not allowed), keep one progress message there edited in place
 * (coalesced to stay within the per-route rate limits), then post the answer, or the reason for a
 * failure with a Retry button. All of it with the bot token, so it works for runs longer than the
 * 15-minute interaction token.
 */
import { ButtonStyle, ComponentType } from 'discord.js';
import type { Keyv } from 'keyv';
import { createCoalescer } from '../shared/coalescer.js';
import { asSynthError } from '../../src/errors.js';
import type { JobHandle, JobRunner } from '../../src/jobs/runner.js';
import type { Logger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { createProgressTracker } from '../../src/progress.js';
import { retryButtonId } from './custom-id.js';
import { failureReason, isMissingPermission, loggableError, threadFallbackNote } from './messages.js';
import { renderProgress } from './render-progress.js';
import { renderAnswerMessage } from './render-report.js';
import { threadName, type DiscordWriter, type RunTarget } from './rest-writes.js';
import { escapeDiscord, LIMITS, truncateWords } from './text.js';

/** Where a run was asked for. */
export interface RunOrigin {
  /** The channel of the parent message (a text channel, or a thread when asked inside one). */
  channelId: string;
  /** The message the run hangs off: the "Researching: …" reply, or the message that mentioned the bot. */
  messageId: string;
  /** True when `channelId` is already a thread (no new thread can be started in it). */
  inThread: boolean;
  question: string;
  /** The user who asked: the answer mentions them (and pings nobody else). */
  askerId?: string;
}

/** How a run ended and whether its answer reached the channel. */
export interface RunOutcome {
  report?: Report;
  error?: { code: string; message: string };
  /** Set when the answer (or failure) could not be posted: `forbidden` for a 403 (no Send Messages). */
  undelivered?: 'forbidden' | 'failed';
}

/** Optional hooks of one followed run. */
export interface FollowHooks {
  /** Called once the answer (or failure) is posted, e.g. to update the parent reply. */
  onSettled?(outcome: RunOutcome): Promise<void>;
}

/** Options of {@link createRunFollower}. */
export interface RunFollowerOptions {
  writer: DiscordWriter;
  runner: JobRunner;
  log: Logger;
  /** Per-run state that outlives the process: where each run reports (for the restart notice). */
  state?: Keyv<unknown>;
  /** Least time between two edits of one progress message (default 1,500 ms). */
  progressIntervalMs?: number;
}

/** Follows runs; one per adapter. */
export interface RunFollower {
  /** Opens the run's thread (or falls back to the channel) and reports the run there until it ends. */
  follow(handle: JobHandle, origin: RunOrigin, hooks?: FollowHooks): Promise<void>;
  /** Opens the target of a run: a new thread, the thread itself, or the channel with a note. */
  openTarget(origin: RunOrigin): Promise<RunTarget>;
  /**
   * Posts "interrupted by a restart" with a Retry button where each of these runs was reporting.
   * Runs whose target was never recorded (the restart came before it was opened) are skipped.
   */
  announceInterrupted(jobIds: readonly string[]): Promise<void>;
  /** Stops following (pending edits are dropped). */
  close(): void;
}

/** How long a run's target is remembered for the restart notice (a week). */
const TARGET_TTL_MS = 7 * 24 * 3600 * 1000;
const targetKey = (jobId: string) => `discord:target:${jobId}`;

interface ProgressState {
  channelId: string;
  messageId: string;
  content: string;
}

/** Creates the follower. */
export function createRunFollower(options: RunFollowerOptions): RunFollower {
  const { writer, runner, log } = options;
  const unsubscribes = new Set<() => void>();
  const coalescer = createCoalescer<ProgressState>({
    intervalMs: options.progressIntervalMs ?? 1500,
    write: (_key, state) => writer.edit(state.channelId, state.messageId, { content: state.content }),
    onError: (error, key) => log.warn({ err: loggableError(error), runId: key }, 'progress edit failed'),
  });

  const openTarget = async (origin: RunOrigin): Promise<RunTarget> => {
    if (origin.inThread) return { channelId: origin.channelId };
    try {
      const threadId = await writer.startThread(origin.channelId, origin.messageId, threadName(origin.question));
      return { channelId: threadId };
    } catch (error) {
      const permission = isMissingPermission(error);
      log.warn({ err: loggableError(error), channelId: origin.channelId }, 'could not start a thread; replying in the channel');
      return { channelId: origin.channelId, replyTo: origin.messageId, note: threadFallbackNote(permission) };
    }
  };

  const postFailure = async (target: RunTarget, jobId: string, code: string, message: string) => {
    const retryable = code !== 'usage';
    await writer.send(target, {
      body: {
        content: truncateWords(`**The run failed.** ${escapeDiscord(failureReason(code, message))}`, LIMITS.content),
        components: retryable
          ? [
              {
                type: ComponentType.ActionRow,
                components: [{ type: ComponentType.Button, custom_id: retryButtonId(jobId), style: ButtonStyle.Primary, label: 'Retry' }],
              },
            ]
          : [],
      },
    });
  };

  return {
    openTarget,
    async follow(handle, origin, hooks) {
      const runLog = log.child({ runId: handle.id });
      const tracker = createProgressTracker();
      let progress: { channelId: string; messageId: string; prefix: string } | undefined;
      const render = (prefix: string) => prefix + renderProgress(tracker.snapshot(), LIMITS.content - prefix.length);
      const push = () => {
        if (progress) coalescer.push(handle.id, { channelId: progress.channelId, messageId: progress.messageId, content: render(progress.prefix) });
      };
      // Subscribe before anything slow: the runner replays what happened so far, nothing is missed.
      const unsubscribe = runner.subscribe(handle.id, (event) => {
        tracker.apply(event);
        push();
      });
      unsubscribes.add(unsubscribe);
      let report: Report | undefined;
      let failure: { code: string; message: string } | undefined;
      let undelivered: RunOutcome['undelivered'];
      try {
        const target = await openTarget(origin);
        await options.state?.set(targetKey(handle.id), target, TARGET_TTL_MS).catch((error: unknown) => runLog.warn({ err: error }, 'could not record the run target'));
        const prefix = target.note ? `ℹ️ ${target.note}\n` : '';
        try {
          const messageId = await writer.send(target, { body: { content: render(prefix) } });
          progress = { channelId: target.channelId, messageId, prefix };
          push();
        } catch (error) {
          runLog.warn({ err: loggableError(error) }, 'could not post the progress message');
        }
        try {
          report = await handle.done;
        } catch (error) {
          const e = asSynthError(error);
          failure = { code: e.code, message: e.message };
        }
        // A run that ended before we subscribed replays nothing; its outcome is still known here.
        const snap = tracker.snapshot();
        if (report && !snap.finished) {
          tracker.apply({ type: 'run-finished', runId: handle.id, elapsedMs: report.timings.totalMs, reportId: report.id, claims: report.claims.length, qualityScore: report.qualityScore });
        }
        if (failure && !snap.failed) tracker.apply({ type: 'run-failed', runId: handle.id, elapsedMs: snap.elapsedMs, ...failure });
        push();
        await coalescer.flush(handle.id);
        if (report) await writer.send(target, await renderAnswerMessage(report, origin.askerId ? { askerId: origin.askerId } : {}));
        else if (failure) await postFailure(target, handle.id, failure.code, failure.message);
      } catch (error) {
        undelivered = isMissingPermission(error) ? 'forbidden' : 'failed';
        runLog.error({ err: loggableError(error) }, 'could not report the run in Discord');
      } finally {
        unsubscribe();
        unsubscribes.delete(unsubscribe);
      }
      const outcome: RunOutcome = { ...(report ? { report } : {}), ...(failure ? { error: failure } : {}), ...(undelivered ? { undelivered } : {}) };
      await hooks?.onSettled?.(outcome).catch((error: unknown) =>
        runLog.warn({ err: loggableError(error) }, 'could not update the parent message'),
      );
    },
    async announceInterrupted(jobIds) {
      for (const jobId of jobIds) {
        const target = (await options.state?.get(targetKey(jobId))) as RunTarget | undefined;
        if (!target) continue;
        try {
          await postFailure(target, jobId, 'interrupted', '');
        } catch (error) {
          log.warn({ err: loggableError(error), runId: jobId }, 'could not announce an interrupted run');
        }
      }
    },
    close() {
      coalescer.close();
      for (const unsubscribe of unsubscribes) unsubscribe();
      unsubscribes.clear();
    },
  };
}
