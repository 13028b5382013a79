/**
 * Button clicks: show or hide a claim's evidence and page through the claims (the answer message is
 * replaced in place through the click's `response_url`, which does not draw on `chat.update`'s Tier 3
 * budget that the progress edits use; `chat.update` is the fallback), retry a failed run, cancel a
 * running one. A button's value holds only ids; the report and the job are read from the stores, so
 * buttons work after a restart. The view (page, expanded claims) is kept in the state store.
 * See https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import { asSynthError } from '../../src/errors.js';
import type { Report } from '../../src/model.js';
import { ACTION, actionPattern, parseClaimValue, parsePageValue } from './actions.js';
import { PRIORITY } from './gateway.js';
import { startRun, type HandlerDeps } from './handlers.js';
import { waitText } from './messages.js';
import { mentionUser, mrkdwnShort } from './mrkdwn.js';
import { pageOfClaim, reportMessage, type ReportView } from './report-view.js';

const ClickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  container: z.object({ channel_id: z.string().min(1), message_ts: z.string().min(1), thread_ts: z.string().optional() }).loose(),
  trigger_id: z.string().optional(),
});

type Click = z.infer<typeof ClickSchema> & { respond?: RespondFn };

/** Registers the button listeners. */
export function registerInteractionHandlers(app: App, deps: HandlerDeps): void {
  const { core, gateway, sessions, state, log } = deps;

  const tell = (click: Click, text: string) =>
    gateway
      .postEphemeral({
        channel: click.container.channel_id,
        user: click.user.id,
        text,
        ...(click.container.thread_ts ? { thread_ts: click.container.thread_ts } : {}),
      })
      .catch((error: unknown) => log.warn({ err: error }, 'could not send an ephemeral message'));

  /** Replaces the clicked message: through the response URL, else with chat.update. */
  const replace = async (click: Click, message: { text: string; blocks: Record<string, unknown>[] }) => {
    if (click.respond) {
      try {
        await click.respond({ replace_original: true, ...message });
        return;
      } catch (error) {
        log.debug({ err: error }, 'response_url refused the update; using chat.update');
      }
    }
    await gateway.update({ channel: click.container.channel_id, ts: click.container.message_ts, ...message }, PRIORITY.interactive);
  };

  /** Re-renders an answer message after `change` picks its new view. */
  const redraw = (click: Click, reportId: string, change: (report: Report, view: ReportView) => ReportView | undefined) => {
    const { channel_id: channel, message_ts: ts } = click.container;
    return state.serialize(`${channel}:${ts}`, async () => {
      const report = await core.runner.getReport(reportId);
      if (!report) {
        await tell(click, 'This report is no longer stored. Run `/synthesize` again to get a fresh one.');
        return;
      }
      const stored = await state.getView(channel, ts);
      const current: ReportView = stored && stored.reportId === reportId ? stored : { page: 0, expanded: [] };
      const changed = change(report, current);
      if (!changed) return;
      // The asker stays mentioned: the view remembers who asked.
      const next: ReportView = { ...changed, ...(current.askerId ? { askerId: current.askerId } : {}) };
      await replace(click, reportMessage(report, next));
      await state.setView(channel, ts, { reportId, ...next });
    });
  };

  const onClick = (kind: (typeof ACTION)[keyof typeof ACTION], handle: (click: Click, value: string | undefined) => Promise<unknown>) => {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionPattern(kind) }, async ({ ack, body, action, respond }) => {
      await ack();
      const parsed = ClickSchema.safeParse(body);
      if (!parsed.success) {
        log.warn({ kind }, 'a button click without a message container was ignored');
        return;
      }
      const click: Click = { ...parsed.data, ...(body.response_url ? { respond } : {}) };
      sessions.track(deps.gate.whenIdle().then(() => handle(click, action.value)).catch((error: unknown) => log.error({ err: error, kind }, 'button handling failed')));
    });
  };

  onClick(ACTION.toggleClaim, async (click, value) => {
    const ids = parseClaimValue(value);
    if (!ids) return;
    await redraw(click, ids.reportId, (report, view) => {
      const page = pageOfClaim(report, ids.claimId, view.page);
      if (page === undefined) return undefined;
      const open = view.expanded.includes(ids.claimId);
      return { page, expanded: open ? view.expanded.filter((id) => id !== ids.claimId) : [...view.expanded, ids.claimId] };
    });
  });

  onClick(ACTION.page, async (click, value) => {
    const ids = parsePageValue(value);
    if (!ids) return;
    await redraw(click, ids.reportId, (_report, view) => ({ page: ids.page, expanded: view.expanded }));
  });

  onClick(ACTION.retry, async (click, jobId) => {
    if (!jobId) return;
    const record = await core.runner.get(jobId);
    if (!record || record.origin.platform !== 'slack' || !record.origin.channel || !record.origin.threadTs) {
      await tell(click, 'That run is no longer known. Run `/synthesize` again.');
      return;
    }
    const active = core.runner.activeFor(click.user.id).length;
    if (active >= core.config.SYNTH_MAX_RUNS_PER_USER) {
      await tell(click, waitText(active));
      return;
    }
    // A second click (or a second person) on the same Retry must not start a second run.
    if (!(await state.claim(`retry:${jobId}`))) return;
    const { channel, threadTs } = record.origin;
    await replace(click, {
      text: 'Retrying…',
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `:repeat: Retried by ${mentionUser(click.user.id)}.`, verbatim: true }] }],
    });
    try {
      await startRun(deps, { channel, threadTs, userId: click.user.id, question: record.request.question });
    } catch (error) {
      const failure = asSynthError(error);
      await tell(click, failure.code === 'rate_limited' ? waitText(core.runner.activeFor(click.user.id).length) : mrkdwnShort(failure.message, 500));
    }
  });

  onClick(ACTION.cancel, async (click, jobId) => {
    if (!jobId) return;
    const record = await core.runner.get(jobId);
    if (!record) return;
    if (record.origin.userId !== click.user.id) {
      await tell(click, `Only ${mentionUser(record.origin.userId)}, who asked, can cancel this run.`);
      return;
    }
    await core.runner.cancel(jobId);
  });
}
