/**
 * Following one run in its Slack thread: a progress message posted once and edited in place (coalesced
 * to at most one edit per interval per thread, the final state always written), the thread's
 * `assistant.threads.setStatus` refreshed where Slack allows it, then the answer in Block Kit with the
 * full report attached, or the failure with a Retry button.
 */
import { createCoalescer } from '../shared/coalescer.js';
import { answerLine } from '../shared/glance.js';
import type { Core } from '../../src/core.js';
import { asSynthError } from '../../src/errors.js';
import type { JobHandle } from '../../src/jobs/runner.js';
import type { Logger } from '../../src/logger.js';
import type { Report } from '../../src/model.js';
import { createProgressTracker, type ProgressSnapshot } from '../../src/progress.js';
import { renderBibtex } from '../../src/render/bibtex.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { ACTION } from './actions.js';
import { PRIORITY, SlackApiError, type SlackGateway } from './gateway.js';
import { checkBlockLimits } from './limits.js';
import { failureText } from './messages.js';
import { mentionUser, mrkdwnShort } from './mrkdwn.js';
import { progressMessage, progressStatus, type SlackMessage } from './progress-view.js';
import { reportMessage } from './report-view.js';
import type { SlackState } from './state.js';

/** Where a run lives in Slack. */
export interface RunPlace {
  channel: string;
  threadTs: string;
  userId: string;
  question: string;
  /** The bot's own parent message ("Researching: …"), updated when the run ends; absent for mentions. */
  parentTs?: string;
}

/** Options of {@link createRunSessions}. */
export interface RunSessionOptions {
  core: Core;
  gateway: SlackGateway;
  state: SlackState;
  log: Logger;
  /** Least time between two edits of one progress message (default 1000 ms). */
  progressIntervalMs?: number;
  /** Least time between two status refreshes of one thread (default 3000 ms). */
  statusIntervalMs?: number;
}

/** Follows runs. */
export interface RunSessions {
  /** Follows a started job in its thread; resolves when the answer or the failure is posted. */
  follow(handle: JobHandle, place: RunPlace): Promise<void>;
  /** The parent message text for a question. */
  parentMessage(place: Pick<RunPlace, 'question' | 'userId'>, outcome?: string): SlackMessage;
  /** Posts the failure of a run that is not followed (one the last restart interrupted), with Retry. */
  postFailure(jobId: string, place: Pick<RunPlace, 'channel' | 'threadTs'>, code: string, message: string): Promise<void>;
  /** Counts a piece of work (a command being handled, a click) until it settles. */
  track(work: Promise<unknown>): void;
  /** Resolves when every followed run has been posted and every tracked piece of work has settled. */
  settled(): Promise<void>;
  close(): void;
}

/** Slack errors meaning the status API is not available to this app at all. */
const STATUS_UNAVAILABLE = new Set(['unknown_method', 'missing_scope', 'not_allowed_token_type', 'method_deprecated', 'feature_not_enabled']);

/** Creates the run follower. */
export function createRunSessions(options: RunSessionOptions): RunSessions {
  const { core, gateway, state, log } = options;
  const live = new Set<Promise<unknown>>();
  const progressTs = new Map<string, Promise<string | undefined>>();
  const places = new Map<string, RunPlace>();
  let statusAvailable = true;
  const statusOff = new Set<string>();

  const progress = createCoalescer<ProgressSnapshot>({
    intervalMs: options.progressIntervalMs ?? 1000,
    write: async (jobId, snapshot) => {
      const place = places.get(jobId);
      if (!place) return;
      const message = progressMessage(snapshot, jobId);
      const posted = progressTs.get(jobId);
      if (!posted) {
        const post = gateway
          // Behind parents (interactive) in a busy channel: a new command's parent shows first.
          .postMessage({ channel: place.channel, thread_ts: place.threadTs, ...message }, PRIORITY.answer)
          .then((r) => r.ts)
          .catch((error: unknown) => {
            log.warn({ err: error, jobId }, 'could not post the progress message');
            return undefined;
          });
        progressTs.set(jobId, post);
        await post;
        return;
      }
      const ts = await posted;
      if (ts) await gateway.update({ channel: place.channel, ts, ...message }, PRIORITY.background);
    },
    onError: (error, jobId) => log.warn({ err: error, jobId }, 'progress edit failed'),
  });

  const status = createCoalescer<string>({
    intervalMs: options.statusIntervalMs ?? 3000,
    write: async (jobId, text) => {
      const place = places.get(jobId);
      if (!place || !statusAvailable || statusOff.has(jobId)) return;
      // Slack clears a thread's status when the app posts in it: set it after the progress message.
      await progressTs.get(jobId);
      try {
        await gateway.setStatus({ channel_id: place.channel, thread_ts: place.threadTs, status: text });
      } catch (error) {
        // Best effort: where Slack does not offer thread statuses the thread just goes without.
        statusOff.add(jobId);
        if (error instanceof SlackApiError && STATUS_UNAVAILABLE.has(error.slackError)) statusAvailable = false;
        log.debug({ jobId, error: error instanceof SlackApiError ? error.slackError : String(error) }, 'thread status unavailable');
      }
    },
  });

  const post = async (place: Pick<RunPlace, 'channel' | 'threadTs'>, message: SlackMessage, what: string) => {
    const problems = checkBlockLimits(message.blocks);
    if (problems.length > 0) log.error({ problems, what }, 'a message breaks Block Kit limits');
    return gateway.postMessage({ channel: place.channel, thread_ts: place.threadTs, ...message }, PRIORITY.answer);
  };

  const postAnswer = async (jobId: string, place: RunPlace, report: Report) => {
    // The answer mentions the asker, so they are notified when it is ready.
    const view = { page: 0, expanded: [], askerId: place.userId };
    const message = reportMessage(report, view);
    const { ts, channel } = await post(place, message, 'answer');
    await state.setView(channel, ts, { reportId: report.id, ...view });
    const files = [{ filename: `synthesis-${report.id.slice(0, 8)}.md`, title: 'Full report (Markdown)', content: renderMarkdown(report) }];
    const bib = await renderBibtex(report.references).catch((error: unknown) => {
      log.warn({ err: error, jobId }, 'could not render BibTeX');
      return '';
    });
    if (bib) files.push({ filename: `synthesis-${report.id.slice(0, 8)}.bib`, title: 'References (BibTeX)', content: bib });
    await gateway
      .uploadFiles({ channel_id: place.channel, thread_ts: place.threadTs, initial_comment: 'The full report and its references:', files })
      .catch((error: unknown) => log.warn({ err: error, jobId }, 'could not attach the report files (is files:write granted?)'));
  };

  const postFailure = async (jobId: string, place: Pick<RunPlace, 'channel' | 'threadTs'>, code: string, message: string) => {
    await post(
      place,
      {
        text: `The run failed: ${failureText(code, message)}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `:warning: *The run failed.* ${failureText(code, message)}`, verbatim: true } },
          {
            type: 'actions',
            elements: [{ type: 'button', action_id: ACTION.retry, style: 'primary', text: { type: 'plain_text', text: 'Retry' }, value: jobId }],
          },
        ],
      },
      'failure',
    );
  };

  const sessions: RunSessions = {
    postFailure,

    parentMessage(place, outcome) {
      const text = `Researching: “${mrkdwnShort(place.question, 2000)}”, asked by ${mentionUser(place.userId)}${outcome ? `\n${outcome}` : ''}`;
      return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }] };
    },

    follow(handle, place) {
      const jobId = handle.id;
      places.set(jobId, place);
      const tracker = createProgressTracker();
      let lastStatus = '';
      // The progress message appears one interval after the parent, not at once: the parent already
      // says the work started, a run that ends sooner gets a single final progress post instead of a
      // post and an edit, and a burst of commands is acked before its follow-up posts are made.
      let showing = false;
      let statusSet = false;
      const setStatus = (text: string) => {
        statusSet = true;
        status.push(jobId, text);
      };
      const show = () => {
        if (showing) return;
        showing = true;
        progress.push(jobId, tracker.snapshot());
        if (lastStatus) setStatus(lastStatus);
      };
      const firstPost = setTimeout(show, options.progressIntervalMs ?? 1000);
      const unsubscribe = core.runner.subscribe(jobId, (event) => {
        tracker.apply(event);
        const snapshot = tracker.snapshot();
        const text = progressStatus(snapshot);
        const statusChanged = text !== lastStatus && !snapshot.finished && !snapshot.failed;
        if (statusChanged) lastStatus = text;
        if (!showing) return;
        progress.push(jobId, snapshot);
        if (statusChanged) setStatus(text);
      });

      const run = (async () => {
        let report: Report | undefined;
        let failure: { code: string; message: string } | undefined;
        try {
          report = await handle.done;
        } catch (error) {
          failure = asSynthError(error);
        } finally {
          unsubscribe();
          clearTimeout(firstPost);
        }
        if (!showing) {
          showing = true;
          progress.push(jobId, tracker.snapshot());
        }
        await progressTs.get(jobId);
        if (report) {
          try {
            await postAnswer(jobId, place, report);
          } catch (error) {
            log.error({ err: error, jobId }, 'could not post the answer');
            const slack = error instanceof SlackApiError ? error.slackError : asSynthError(error).message;
            failure = { code: 'internal', message: `The report is ready but Slack refused the answer message (${slack}).` };
          }
        }
        if (failure) {
          const snapshot = tracker.snapshot();
          if (!snapshot.failed) tracker.apply({ type: 'run-failed', runId: jobId, elapsedMs: snapshot.elapsedMs, ...failure });
          progress.push(jobId, tracker.snapshot());
          await postFailure(jobId, place, failure.code, failure.message).catch((e: unknown) => log.warn({ err: e, jobId }, 'could not post the failure'));
        }
        const outcome = !failure
          ? `:white_check_mark: Answered in the thread: ${answerLine(report!) ?? 'see the report'} · ${report!.claims.length} ${report!.claims.length === 1 ? 'claim' : 'claims'}, quality ${report!.qualityScore}/10.`
          : failure.code === 'cancelled'
            ? ':no_entry_sign: Cancelled.'
            : ':warning: The run failed; see the thread.';
        if (statusSet && statusAvailable && !statusOff.has(jobId)) status.push(jobId, '');
        const finals = [progress.flush(jobId), status.flush(jobId)];
        if (place.parentTs) {
          const parent = sessions.parentMessage(place, outcome);
          finals.push(gateway.update({ channel: place.channel, ts: place.parentTs, ...parent }, PRIORITY.background).catch((e: unknown) => log.warn({ err: e, jobId }, 'could not update the parent message')));
        }
        await Promise.all(finals);
        places.delete(jobId);
        progressTs.delete(jobId);
        statusOff.delete(jobId);
      })();
      sessions.track(run);
      return run;
    },

    track(work) {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      live.add(settled);
      void settled.then(() => live.delete(settled));
    },

    async settled() {
      while (live.size > 0) await Promise.allSettled([...live]);
    },

    close() {
      progress.close();
      status.close();
    },
  };
  return sessions;
}
