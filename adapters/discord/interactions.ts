/**
 * Handling interactions: `/synthesize` (defer at once, "Researching: …" reply, then the run is
 * followed in a thread), the claim buttons and select menus (the claim's quote and evidence as an
 * ephemeral reply, read from the report store) and the Retry button of a failed run.
 * https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import {
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import type { JobRunner } from '../../src/jobs/runner.js';
import type { Logger } from '../../src/logger.js';
import type { RunRequest } from '../../src/model.js';
import { sanitizeQuestion } from '../../src/text/sanitize.js';
import type { Keyv } from 'keyv';
import { COMMAND_NAME, OPTION } from './commands.js';
import { parseCustomId } from './custom-id.js';
import type { RunFollower } from './flow.js';
import { failureReason, loggableError, startErrorText } from './messages.js';
import { renderClaimDetail } from './render-claim.js';
import { renderAnswerMessage } from './render-report.js';
import { allowedMentions as allowedMentionsFor } from './rest-writes.js';
import { escapeDiscord, LIMITS, truncateWords } from './text.js';

/** What the interaction handler needs. */
export interface InteractionDeps {
  runner: JobRunner;
  follower: RunFollower;
  state: Keyv<unknown>;
  log: Logger;
  maxRunsPerUser: number;
  /** How long the interaction token is used for edits of the parent reply (default 13 minutes of its 15). */
  interactionTokenMs?: number;
  now?: () => number;
}

const allowedMentions = { parse: [], repliedUser: false } as const;

/** The parent reply while a run is going and after it ended. */
export function parentContent(question: string, outcome?: 'done' | 'failed' | 'undelivered'): string {
  const q = escapeDiscord(question);
  const text =
    outcome === 'undelivered'
      ? `⚠️ **Researched:** ${q}\nI may not post in this channel (the bot lacks the Send Messages permission here), so the answer follows as a reply to this command.`
      : outcome === 'done'
      ? `✅ **Researched:** ${q}\nThe answer is in the thread.`
      : outcome === 'failed'
        ? `❌ **Research failed:** ${q}\nThe reason is in the thread.`
        : `🔎 **Researching:** ${q}\nProgress and the answer follow in the thread.`;
  return truncateWords(text, LIMITS.content);
}

/** Why a request is refused before any I/O, or undefined when it may start. */
function precheck(question: string, request: RunRequest, active: number, max: number): string | undefined {
  try {
    sanitizeQuestion(question);
  } catch (error) {
    return startErrorText(error);
  }
  if (request.yearFrom !== undefined && request.yearTo !== undefined && request.yearFrom > request.yearTo) {
    return `year_from (${request.yearFrom}) is after year_to (${request.yearTo}); swap them or leave one out.`;
  }
  if (active >= max) {
    return `You already have ${active} synthesis run(s) in progress; wait for one to finish before starting another.`;
  }
  return undefined;
}

/** Creates the `interactionCreate` listener. */
export function createInteractionHandler(deps: InteractionDeps): (interaction: Interaction) => Promise<void> {
  const { runner, follower, log } = deps;
  const now = deps.now ?? Date.now;
  const tokenMs = deps.interactionTokenMs ?? 13 * 60_000;

  const onCommand = async (interaction: ChatInputCommandInteraction) => {
    const question = interaction.options.getString(OPTION.question, true);
    const request: RunRequest = { question };
    const yearFrom = interaction.options.getInteger(OPTION.yearFrom);
    const yearTo = interaction.options.getInteger(OPTION.yearTo);
    const maxPapers = interaction.options.getInteger(OPTION.maxPapers);
    if (yearFrom !== null) request.yearFrom = yearFrom;
    if (yearTo !== null) request.yearTo = yearTo;
    if (maxPapers !== null) request.maxPapers = maxPapers;
    // Synchronous checks only before the first response: the 3-second deadline is never at risk.
    const refusal = precheck(question, request, runner.activeFor(interaction.user.id).length, deps.maxRunsPerUser);
    if (refusal) {
      await interaction.reply({ content: truncateWords(escapeDiscord(refusal), LIMITS.content), flags: MessageFlags.Ephemeral, allowedMentions });
      return;
    }
    await interaction.deferReply();
    const startedAt = now();
    let handle;
    try {
      handle = await runner.start(request, {
        platform: 'discord',
        userId: interaction.user.id,
        channelId: interaction.channelId,
        guildId: interaction.guildId ?? undefined,
      });
    } catch (error) {
      await interaction.editReply({ content: truncateWords(escapeDiscord(startErrorText(error)), LIMITS.content), allowedMentions });
      return;
    }
    const cleaned = sanitizeQuestion(question);
    const parent = await interaction.editReply({ content: parentContent(cleaned), allowedMentions });
    await follower.follow(
      handle,
      { channelId: parent.channelId, messageId: parent.id, inThread: interaction.channel?.isThread() ?? false, question: cleaned, askerId: interaction.user.id },
      {
        async onSettled({ report, error, undelivered }) {
          // The interaction token dies after 15 minutes; later runs leave the parent as it is.
          if (now() - startedAt > tokenMs) return;
          if (undelivered && report) {
            // No Send Messages permission in the channel: the interaction's own follow-up still works.
            const { body, files } = await renderAnswerMessage(report, { askerId: interaction.user.id });
            const users = allowedMentionsFor(body).users ?? [];
            await interaction.followUp({
              content: body.content ?? '',
              embeds: body.embeds ?? [],
              components: body.components ?? [],
              files: (files ?? []).map((f) => ({ attachment: f.data as Buffer, name: f.name })),
              allowedMentions: { ...allowedMentions, users: [...users] },
            });
          }
          const text =
            undelivered && !report && error
              ? truncateWords(`${parentContent(cleaned, 'failed').split('\n')[0]!}\n${escapeDiscord(failureReason(error.code, error.message))}`, LIMITS.content)
              : parentContent(cleaned, undelivered ? 'undelivered' : report ? 'done' : 'failed');
          await interaction.editReply({ content: text, allowedMentions });
        },
      },
    );
  };

  const onClaim = async (interaction: ButtonInteraction | StringSelectMenuInteraction, reportId: string, claimId: string | undefined) => {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const report = await runner.getReport(reportId);
    const claim = report?.claims.find((c) => c.id === claimId);
    if (!report || !claim) {
      await interaction.editReply({ content: 'This report is no longer stored, so its evidence cannot be shown. Ask the question again.', allowedMentions });
      return;
    }
    await interaction.editReply({ embeds: [renderClaimDetail(report, claim)], allowedMentions });
  };

  const onRetry = async (interaction: ButtonInteraction, jobId: string) => {
    const active = runner.activeFor(interaction.user.id).length;
    if (active >= deps.maxRunsPerUser) {
      await interaction.reply({
        content: `You already have ${active} synthesis run(s) in progress; wait for one to finish before retrying.`,
        flags: MessageFlags.Ephemeral,
        allowedMentions,
      });
      return;
    }
    await interaction.deferUpdate();
    const [record, retried] = await Promise.all([runner.get(jobId), deps.state.get(`discord:retried:${jobId}`)]);
    if (!record || retried) {
      const text = retried ? 'This run has already been retried; follow the new run above.' : 'This run is no longer stored; ask the question again.';
      await interaction.followUp({ content: text, flags: MessageFlags.Ephemeral, allowedMentions });
      return;
    }
    let handle;
    try {
      handle = await runner.start(record.request, { platform: 'discord', userId: interaction.user.id, channelId: interaction.channelId, retryOf: jobId });
    } catch (error) {
      await interaction.followUp({ content: truncateWords(escapeDiscord(startErrorText(error)), LIMITS.content), flags: MessageFlags.Ephemeral, allowedMentions });
      return;
    }
    await deps.state.set(`discord:retried:${jobId}`, handle.id);
    await interaction.editReply({
      content: truncateWords(`${interaction.message.content}\nRetried by ${escapeDiscord(interaction.user.username)}: a new run follows.`, LIMITS.content),
      components: [],
      allowedMentions,
    });
    await follower.follow(handle, {
      channelId: interaction.channelId,
      messageId: interaction.message.id,
      // A retry reports where the failure was reported: in that thread, or in the channel as a reply.
      inThread: true,
      question: record.request.question,
      askerId: interaction.user.id,
    });
  };

  return async (interaction) => {
    try {
      if (interaction.isChatInputCommand()) {
        if (interaction.commandName === COMMAND_NAME) await onCommand(interaction);
        return;
      }
      if (!interaction.isButton() && !interaction.isStringSelectMenu()) return;
      const action = parseCustomId(interaction.customId);
      if (!action) return;
      if (action.kind === 'claim') await onClaim(interaction, action.reportId, action.claimId);
      else if (action.kind === 'claims' && interaction.isStringSelectMenu()) await onClaim(interaction, action.reportId, interaction.values[0]);
      else if (action.kind === 'retry' && interaction.isButton()) await onRetry(interaction, action.jobId);
    } catch (error) {
      log.error({ err: loggableError(error), interaction: interaction.type }, 'interaction failed');
    }
  };
}
