/**
 * Handling interactions: `/synthesize` (admitted before the first response, deferred at once, the
 * deferred reply becomes the parent of the run's thread), the claim buttons and select menus (the
 * claim's quote and evidence as an ephemeral reply to whoever asked for it), Cancel (an ephemeral
 * confirmation first) and Retry. The conversation itself is the shared one.
 * https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import type { Logger } from '../../src/logger.js';
import type { RunRequest } from '../../src/model.js';
import type { Conversation } from '../shared/conversation.js';
import { COMMAND_NAME, OPTION } from './commands.js';
import { confirmCancelButtonId, parseCustomId } from './custom-id.js';
import { loggableError } from './messages.js';
import { discordWords, rawFiles } from './platform.js';
import { renderClaimDetail } from './render-claim.js';
import type { MessagePayload } from './render-report.js';
import { allowedMentions as allowedMentionsFor } from './rest-writes.js';
import { escapeDiscord, LIMITS, truncateWords } from './text.js';

/** What the interaction handler needs. */
export interface InteractionDeps {
  conversation: Conversation<MessagePayload>;
  log: Logger;
  /** How long the interaction token is used for edits of the parent reply (default 13 minutes of its 15). */
  interactionTokenMs?: number;
  now?: () => number;
}

const allowedMentions = { parse: [], repliedUser: false } as const;

/** A payload as an interaction reply (the interaction token's routes; nobody pinged). */
function reply(message: MessagePayload) {
  const { content, embeds, components } = message.body;
  return { content: content ?? '', ...(embeds ? { embeds } : {}), ...(components ? { components } : {}), allowedMentions };
}

/** Creates the `interactionCreate` listener. */
export function createInteractionHandler(deps: InteractionDeps): (interaction: Interaction) => Promise<void> {
  const { conversation, log } = deps;
  const now = deps.now ?? Date.now;
  const tokenMs = deps.interactionTokenMs ?? 13 * 60_000;
  const ephemeral = (text: string) => ({ content: truncateWords(text, LIMITS.content), flags: MessageFlags.Ephemeral as const, allowedMentions });

  const onCommand = async (interaction: ChatInputCommandInteraction) => {
    const question = interaction.options.getString(OPTION.question, true);
    const request: Omit<RunRequest, 'question'> = {};
    const yearFrom = interaction.options.getInteger(OPTION.yearFrom);
    const yearTo = interaction.options.getInteger(OPTION.yearTo);
    const maxPapers = interaction.options.getInteger(OPTION.maxPapers);
    if (yearFrom !== null) request.yearFrom = yearFrom;
    if (yearTo !== null) request.yearTo = yearTo;
    if (maxPapers !== null) request.maxPapers = maxPapers;
    // Synchronous checks only before the first response: the 3-second deadline is never at risk.
    const admitted = conversation.admit(interaction.user.id, question, request);
    if ('refusal' in admitted) {
      await interaction.reply(ephemeral(escapeDiscord(admitted.refusal)));
      return;
    }
    const { admission } = admitted;
    const startedAt = now();
    try {
      await interaction.deferReply();
    } catch (error) {
      admission.release();
      throw error;
    }
    const inThread = interaction.channel?.isThread() ?? false;
    await conversation.ask(admission, {
      channel: interaction.channelId,
      ...(inThread ? { thread: interaction.channelId } : {}),
      ...(interaction.guildId ? { workspace: interaction.guildId } : {}),
      parent: {
        async post(message) {
          const parent = await interaction.editReply(reply(message));
          return { channel: parent.channelId, id: parent.id };
        },
        async edit(_ref, message) {
          // The interaction token dies after 15 minutes; later runs leave the parent as it is.
          if (now() - startedAt > tokenMs) return;
          await interaction.editReply(reply(message));
        },
      },
      tell: async (message) => {
        await interaction.followUp({ ...reply(message), flags: MessageFlags.Ephemeral });
      },
      // No Send Messages permission in the channel: the interaction's own follow-up still works.
      fallback: async (message, files) => {
        const users = allowedMentionsFor(message.body).users ?? [];
        await interaction.followUp({ ...reply(message), files: rawFiles(files).map((f) => ({ attachment: f.data as Buffer, name: f.name })), allowedMentions: { ...allowedMentions, users: [...users] } });
      },
    });
  };

  const onClaim = async (interaction: ButtonInteraction | StringSelectMenuInteraction, reportId: string, claimId: string | undefined) => {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const found = claimId ? await conversation.evidence(reportId, claimId) : undefined;
    if (!found) {
      await interaction.editReply({ content: 'This report is no longer stored, so its evidence cannot be shown. Ask the question again.', allowedMentions });
      return;
    }
    await interaction.editReply({ embeds: [renderClaimDetail(found.report, found.claim)], allowedMentions });
  };

  const onRetry = async (interaction: ButtonInteraction, jobId: string) => {
    await interaction.deferUpdate();
    await conversation.retry(jobId, interaction.user.id, {
      message: { channel: interaction.channelId, id: interaction.message.id },
      tell: async (message) => {
        await interaction.followUp({ ...reply(message), flags: MessageFlags.Ephemeral });
      },
      replace: async (message) => {
        await interaction.editReply({ content: truncateWords(`${interaction.message.content}\n${message.body.content ?? ''}`, LIMITS.content), components: [], allowedMentions });
      },
    });
  };

  const onCancel = async (interaction: ButtonInteraction, jobId: string) => {
    const refusal = await conversation.cancel(jobId, interaction.user.id, { check: true });
    if (refusal) {
      await interaction.reply(ephemeral(discordWords(refusal)));
      return;
    }
    await interaction.reply({
      ...ephemeral('Cancel this run? The search stops and no answer is posted.'),
      components: [
        { type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, custom_id: confirmCancelButtonId(jobId), style: ButtonStyle.Danger, label: 'Cancel the run' }] },
      ],
    });
  };

  const onCancelConfirmed = async (interaction: ButtonInteraction, jobId: string) => {
    await interaction.deferUpdate();
    const refusal = await conversation.cancel(jobId, interaction.user.id);
    await interaction.editReply({ content: refusal ? discordWords(refusal) : 'Cancelled; the thread says so.', components: [], allowedMentions });
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
      else if (!interaction.isButton()) return;
      else if (action.kind === 'retry') await onRetry(interaction, action.jobId);
      else if (action.kind === 'cancel') await onCancel(interaction, action.jobId);
      else if (action.kind === 'cancel-confirmed') await onCancelConfirmed(interaction, action.jobId);
    } catch (error) {
      log.error({ err: loggableError(error), interaction: interaction.type }, 'interaction failed');
    }
  };
}
