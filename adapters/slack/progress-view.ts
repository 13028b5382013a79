/**
 * The progress message: one message in the thread, edited in place as the run moves through its stages.
 * Its wording comes from the core's shared progress lines, so Slack says what the CLI and Discord say.
 */
import { formatSeconds, renderProgressLines, type ProgressSnapshot } from '../../src/progress.js';
import { ACTION } from './actions.js';
import { LIMITS } from './limits.js';
import { mrkdwnShort } from './mrkdwn.js';

/** A message as the bot sends it. */
export interface SlackMessage {
  /** Notification and fallback text (mrkdwn). */
  text: string;
  blocks: Record<string, unknown>[];
}

/** Longest single progress line; nine lines stay far below a section's limit. */
const MAX_LINE = 300;

/** The one-line status for a snapshot, used as the message's fallback text and its first line. */
export function progressHeadline(snapshot: ProgressSnapshot): string {
  const elapsed = formatSeconds(snapshot.elapsedMs);
  if (snapshot.failed?.code === 'cancelled') return `:no_entry_sign: *Cancelled* after ${elapsed}`;
  if (snapshot.failed) return `:x: *Failed* after ${elapsed}`;
  if (snapshot.finished) {
    const f = snapshot.finished;
    return `:white_check_mark: *Done* in ${elapsed}: ${f.claims} claim${f.claims === 1 ? '' : 's'}, quality ${f.qualityScore}/10`;
  }
  if (snapshot.queuedPosition !== undefined) return `:hourglass: *Queued* (position ${snapshot.queuedPosition}) · ${elapsed}`;
  return `:hourglass_flowing_sand: *Working* · ${elapsed} elapsed`;
}

/** The short status shown by `assistant.threads.setStatus` while a run is going. */
export function progressStatus(snapshot: ProgressSnapshot): string {
  const running = snapshot.stages.filter((s) => s.status === 'running').at(-1);
  if (snapshot.queuedPosition !== undefined) return 'is waiting for a free slot…';
  return running ? `is ${running.label.charAt(0).toLowerCase()}${running.label.slice(1)}…` : 'is researching…';
}

/**
 * Renders the progress message for a snapshot: the stages so far and a Cancel button (which asks for
 * confirmation) while the run is going; one line once it has finished, and the reason once it failed.
 */
export function progressMessage(snapshot: ProgressSnapshot, jobId: string): SlackMessage {
  const headline = progressHeadline(snapshot);
  if (snapshot.finished) return { text: headline.slice(0, LIMITS.messageText), blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: headline, verbatim: true }] }] };
  const lines = renderProgressLines(snapshot).map((line) => mrkdwnShort(line, MAX_LINE));
  const body = [headline, ...lines].join('\n');
  const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: body, verbatim: true } }];
  if (snapshot.failed) {
    // Failed or cancelled: the headline and the reason, no stages.
    const reason = mrkdwnShort(snapshot.failed.message, 600);
    const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: headline, verbatim: true } }];
    if (reason) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: reason, verbatim: true }] });
    return { text: headline.slice(0, LIMITS.messageText), blocks };
  }
  // Slack rejects an empty text object (invalid_blocks): only notes with words in them.
  const notes = snapshot.warnings.slice(0, 3).map((w) => mrkdwnShort(w, 280)).filter((text) => text.length > 0);
  if (notes.length > 0) {
    blocks.push({ type: 'context', elements: notes.map((text) => ({ type: 'mrkdwn', text, verbatim: true })) });
  }
  if (!snapshot.failed && !snapshot.finished) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.cancel,
          text: { type: 'plain_text', text: 'Cancel' },
          value: jobId,
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this run?' },
            text: { type: 'plain_text', text: 'The search stops and no answer is posted. You can ask again later.' },
            confirm: { type: 'plain_text', text: 'Cancel the run' },
            deny: { type: 'plain_text', text: 'Keep it running' },
            style: 'danger',
          },
        },
      ],
    });
  }
  return { text: headline.slice(0, LIMITS.messageText), blocks };
}
