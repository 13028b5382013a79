/**
 * Button clicks. "Evidence" answers the person who clicked only (an ephemeral reply through the
 * click's `response_url`, `chat.postEphemeral` as the fallback); "All claims (N)" pages the answer
 * message in place (through the `response_url`, which does not draw on `chat.update`'s Tier 3 budget
 * that the progress edits use; `chat.update` is the fallback); Retry and Cancel go to the shared
 * conversation, which checks that the clicker asked the run. Cancel's confirmation is the button's
 * own `confirm` dialog. A button's value holds only ids; the report and the job are read from the
 * stores, so buttons work after a restart. The page each answer shows is kept in the state store.
 * See https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import type { Report } from '../../src/model.js';
import { ACTION, actionPattern, FLAG_VIEW, parseClaimValue, parsePageValue } from './actions.js';
import { evidenceMessage, flagModal } from './claim-view.js';
import { PRIORITY, type SlackGateway } from './gateway.js';
import type { HandlerDeps } from './handlers.js';
import { slackRenderer } from './platform.js';
import type { SlackMessage } from './progress-view.js';
import { reportMessage, type ReportView } from './report-view.js';
import { reportUrl } from '../web/links.js';

const ClickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  container: z.object({ channel_id: z.string().min(1), message_ts: z.string().min(1), thread_ts: z.string().optional() }).loose(),
  trigger_id: z.string().optional(),
});

type Click = z.infer<typeof ClickSchema> & { respond?: RespondFn };

/** Registers the button listeners. */
export function registerInteractionHandlers(app: App, deps: HandlerDeps & { gateway: SlackGateway }): void {
  const { conversation, gateway, state, log } = deps;

  /** A reply only the clicker sees: through the response URL, else `chat.postEphemeral`. */
  const tell = async (click: Click, message: SlackMessage) => {
    if (click.respond) {
      try {
        await click.respond({ response_type: 'ephemeral', replace_original: false, ...message });
        return;
      } catch (error) {
        log.debug({ err: error }, 'response_url refused the reply; using chat.postEphemeral');
      }
    }
    await gateway
      .postEphemeral({ channel: click.container.channel_id, user: click.user.id, ...message, ...(click.container.thread_ts ? { thread_ts: click.container.thread_ts } : {}) })
      .catch((error: unknown) => log.warn({ err: error }, 'could not send an ephemeral message'));
  };

  /** Replaces the clicked message: through the response URL, else with chat.update. */
  const replace = async (click: Click, message: SlackMessage) => {
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

  /** Re-renders an answer message on another page. */
  const redraw = (click: Click, reportId: string, change: (report: Report, view: ReportView) => ReportView | undefined) => {
    const { channel_id: channel, message_ts: ts } = click.container;
    return state.serialize(`${channel}:${ts}`, async () => {
      const report = await deps.core.runner.getReport(reportId);
      if (!report) {
        await tell(click, slackRenderer.notice('This report is no longer stored. Run /synthesize again to get a fresh one.'));
        return;
      }
      const stored = await state.getView(channel, ts);
      const current: ReportView = stored && stored.reportId === reportId ? stored : { page: 0 };
      const changed = change(report, current);
      if (!changed) return;
      // The asker stays mentioned: the view remembers who asked.
      const fullReportUrl = reportUrl(reportId);
      const next: ReportView = { ...changed, ...(current.askerId ? { askerId: current.askerId } : {}), ...(fullReportUrl ? { fullReportUrl } : {}) };
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
      conversation.track(deps.gate.whenIdle().then(() => handle(click, action.value)).catch((error: unknown) => log.error({ err: error, kind }, 'button handling failed')));
    });
  };

  onClick(ACTION.toggleClaim, async (click, value) => {
    const ids = parseClaimValue(value);
    if (!ids) return;
    const found = await conversation.evidence(ids.reportId, ids.claimId);
    if (found) {
      await tell(click, evidenceMessage(found.report, found.claim));
      return;
    }
    // A claim id the stored report does not have (a stale or hand-made button) is not a report gone.
    const stored = await deps.core.runner.getReport(ids.reportId);
    await tell(
      click,
      slackRenderer.notice(
        stored
          ? `This report has no claim ${ids.claimId}; use the buttons of the answer to see its claims.`
          : 'This report is no longer stored, so its evidence cannot be shown. Ask the question again.',
      ),
    );
  });

  onClick(ACTION.page, async (click, value) => {
    const ids = parsePageValue(value);
    if (!ids) return;
    await redraw(click, ids.reportId, () => ({ page: ids.page }));
  });

  onClick(ACTION.retry, async (click, jobId) => {
    if (!jobId) return;
    await conversation.retry(jobId, click.user.id, {
      message: { channel: click.container.channel_id, id: click.container.message_ts },
      tell: (message) => tell(click, message),
      replace: (message) => replace(click, message),
    });
  });

  onClick(ACTION.flag, async (click, value) => {
    const ids = parseClaimValue(value);
    if (!ids) return;
    const found = await conversation.evidence(ids.reportId, ids.claimId);
    if (!found) {
      await tell(click, slackRenderer.notice('This report is no longer stored, so its claims cannot be flagged.'));
      return;
    }
    // The modal asks why (optional); without a trigger (it lasts 3 s) the flag goes in without a reason.
    if (click.trigger_id) {
      try {
        await gateway.openView({ trigger_id: click.trigger_id, view: flagModal(found.report, found.claim) });
        return;
      } catch (error) {
        log.warn({ err: error }, 'could not open the flag modal; flagging without a reason');
      }
    }
    await tell(click, slackRenderer.notice(await conversation.flag(ids.reportId, ids.claimId, click.user.id)));
  });

  const ViewSchema = z.object({
    user: z.object({ id: z.string().min(1) }),
    view: z.object({ private_metadata: z.string(), state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }).loose())) }).loose() }).loose(),
  });
  app.view(FLAG_VIEW, async ({ ack, body }) => {
    await ack();
    const parsed = ViewSchema.safeParse(body);
    const ids = parsed.success ? parseClaimValue(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !ids) {
      log.warn('a flag submission that could not be read was ignored');
      return;
    }
    const reason = parsed.data.view.state.values.reason?.reason?.value ?? undefined;
    conversation.track(conversation.flag(ids.reportId, ids.claimId, parsed.data.user.id, reason ?? undefined).catch((error: unknown) => log.error({ err: error }, 'flagging failed')));
  });

  // A thumbs up or down on an answer message is feedback on the answer (reactions:read, reaction_added).
  app.event('reaction_added', async ({ event }) => {
    const e = event as { user?: string; reaction?: string; item?: { type?: string; channel?: string; ts?: string } };
    const vote = ['+1', 'thumbsup'].includes(e.reaction ?? '') ? 'up' : ['-1', 'thumbsdown'].includes(e.reaction ?? '') ? 'down' : undefined;
    if (!vote || !e.user || e.item?.type !== 'message' || !e.item.channel || !e.item.ts || e.user === deps.botUserId) return;
    const { channel, ts } = e.item;
    conversation.track(
      (async () => {
        const view = await state.getView(channel, ts);
        if (view) await conversation.vote(view.reportId, e.user!, vote);
      })().catch((error: unknown) => log.error({ err: error }, 'recording a reaction failed')),
    );
  });

  onClick(ACTION.cancel, async (click, jobId) => {
    if (!jobId) return;
    const refusal = await conversation.cancel(jobId, click.user.id);
    if (refusal) await tell(click, slackRenderer.notice(refusal));
  });
}
