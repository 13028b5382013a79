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
  TextInputStyle,
  type ButtonInteraction,
  type ModalSubmitInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import type { Logger } from '../../src/logger.js';
import type { Report, RunRequest } from '../../src/model.js';
import type { Conversation } from '../shared/conversation.js';
import { COMMAND_NAME, OPTION } from './commands.js';
import { confirmCancelButtonId, flagButtonId, flagModalId, parseCustomId } from './custom-id.js';
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
  /** Reads a stored report, to tell "no such claim" from "report gone" (default: every report is gone). */
  getReport?: (reportId: string) => Promise<Report | undefined>;
  /** How long the interaction token is used for edits of the parent reply (default 13 minutes of its 15). */
  interactionTokenMs?: number;
  now?: () => number;
}

const allowedMentions = { parse: [], repliedUser: false } as const;

/** The private answer to an interaction whose options or custom_id the bot cannot read. */
export const UNREADABLE_TEXT = 'That request could not be read. Use /synthesize question:<your question>, or the buttons of a recent answer.';
/** The private answer when handling an interaction failed for another reason. */
export const FAILED_TEXT = 'Something went wrong while handling that. Please try again in a moment.';

/** Thrown when an interaction's data is not what the bot sent or registered. */
class UnreadableInteraction extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'UnreadableInteraction';
  }
}

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

  /**
   * The command's options. discord.js throws on an option of the wrong type or a missing required
   * one (a stale registration, a proxy, a hand-made request); that becomes a private "could not be read".
   */
  const readOptions = (interaction: ChatInputCommandInteraction) => {
    try {
      return {
        question: interaction.options.getString(OPTION.question, true),
        yearFrom: interaction.options.getInteger(OPTION.yearFrom),
        yearTo: interaction.options.getInteger(OPTION.yearTo),
        maxPapers: interaction.options.getInteger(OPTION.maxPapers),
      };
    } catch (error) {
      throw new UnreadableInteraction(`bad options: ${(error as Error).message}`, { cause: error });
    }
  };

  const onCommand = async (interaction: ChatInputCommandInteraction) => {
    const { question, yearFrom, yearTo, maxPapers } = readOptions(interaction);
    const request: Omit<RunRequest, 'question'> = {};
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
    // Inside a thread, the run reports there; the thread is addressed by its parent channel and its id.
    const parentChannel = inThread ? ((interaction.channel as { parentId?: string | null } | null)?.parentId ?? interaction.channelId) : interaction.channelId;
    await conversation.ask(admission, {
      channel: parentChannel,
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
      // The claim may be missing from a report that is still stored (a stale or hand-made id).
      const stored = claimId && deps.getReport ? await deps.getReport(reportId) : undefined;
      const content = stored
        ? `This report has no claim ${escapeDiscord(claimId!)}; use the buttons of the answer to see its claims.`
        : 'This report is no longer stored, so its evidence cannot be shown. Ask the question again.';
      await interaction.editReply({ content, allowedMentions });
      return;
    }
    await interaction.editReply({
      embeds: [renderClaimDetail(found.report, found.claim)],
      components: [{ type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, custom_id: flagButtonId(reportId, found.claim.id), style: ButtonStyle.Secondary, label: 'Flag this claim' }] }],
      allowedMentions,
    });
  };

  /** "Flag this claim": a modal asks why (optional); its submission flags the claim. */
  const onFlag = async (interaction: ButtonInteraction, reportId: string, claimId: string) => {
    const found = await conversation.evidence(reportId, claimId);
    if (!found) {
      await interaction.reply(ephemeral('This report is no longer stored, so its claims cannot be flagged.'));
      return;
    }
    const number = found.report.claims.indexOf(found.claim) + 1;
    await interaction.showModal({
      custom_id: flagModalId(reportId, claimId),
      title: `Flag claim ${number}`,
      components: [
        {
          type: ComponentType.ActionRow,
          components: [{ type: ComponentType.TextInput, custom_id: 'reason', style: TextInputStyle.Paragraph, label: 'Why? (optional)', required: false, max_length: 1000 }],
        },
      ],
    });
  };

  const onFlagReason = async (interaction: ModalSubmitInteraction, reportId: string, claimId: string) => {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let reason: string | undefined;
    try {
      reason = interaction.fields.getTextInputValue('reason') || undefined;
    } catch {
      reason = undefined;
    }
    const words = await conversation.flag(reportId, claimId, interaction.user.id, reason);
    await interaction.editReply({ content: truncateWords(discordWords(words), LIMITS.content), allowedMentions });
  };

  const onVote = async (interaction: ButtonInteraction, reportId: string, vote: 'up' | 'down') => {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const words = await conversation.vote(reportId, interaction.user.id, vote);
    await interaction.editReply({ content: truncateWords(discordWords(words), LIMITS.content), allowedMentions });
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

  /**
   * A private answer to an interaction that would otherwise get none (Discord then shows "This
   * interaction failed"): the first response if none was sent, the deferred ephemeral reply's content
   * if that is pending, else a follow-up.
   */
  const answerPrivately = async (interaction: Interaction, text: string) => {
    if (!interaction.isRepliable()) return;
    try {
      if (!interaction.deferred && !interaction.replied) await interaction.reply(ephemeral(text));
      else if (interaction.deferred && !interaction.replied && interaction.ephemeral) await interaction.editReply({ content: text, components: [], allowedMentions });
      else await interaction.followUp(ephemeral(text));
    } catch (error) {
      log.warn({ err: loggableError(error) }, 'could not answer an interaction');
    }
  };

  /** Routes a button or select menu by its custom_id; throws `UnreadableInteraction` for one the bot did not make. */
  const onComponent = async (interaction: ButtonInteraction | StringSelectMenuInteraction) => {
    const action = parseCustomId(interaction.customId);
    if (!action) throw new UnreadableInteraction(`unknown custom_id ${interaction.customId.slice(0, 100)}`);
    if (action.kind === 'claim') return onClaim(interaction, action.reportId, action.claimId);
    if (action.kind === 'claims') {
      if (!interaction.isStringSelectMenu()) throw new UnreadableInteraction('a claims menu id on a button');
      return onClaim(interaction, action.reportId, interaction.values[0]);
    }
    if (!interaction.isButton()) throw new UnreadableInteraction(`a ${action.kind} id on a select menu`);
    if (action.kind === 'retry') return onRetry(interaction, action.jobId);
    if (action.kind === 'cancel') return onCancel(interaction, action.jobId);
    if (action.kind === 'flag') return onFlag(interaction, action.reportId, action.claimId);
    if (action.kind === 'vote') return onVote(interaction, action.reportId, action.vote);
    if (action.kind === 'flag-reason') throw new UnreadableInteraction('a modal id on a button');
    return onCancelConfirmed(interaction, action.jobId);
  };

  return async (interaction) => {
    try {
      if (interaction.isChatInputCommand()) {
        if (interaction.commandName !== COMMAND_NAME) throw new UnreadableInteraction(`unknown command /${interaction.commandName}`);
        await onCommand(interaction);
        return;
      }
      if (interaction.isButton() || interaction.isStringSelectMenu()) {
        await onComponent(interaction);
        return;
      }
      if (interaction.isModalSubmit()) {
        const action = parseCustomId(interaction.customId);
        if (action?.kind !== 'flag-reason') throw new UnreadableInteraction(`unknown modal ${interaction.customId.slice(0, 100)}`);
        await onFlagReason(interaction, action.reportId, action.claimId);
        return;
      }
      // Anything else (another component type, a modal, autocomplete) was never offered by the bot.
      if (interaction.isRepliable()) throw new UnreadableInteraction(`unexpected interaction type ${interaction.type}`);
    } catch (error) {
      const unreadable = error instanceof UnreadableInteraction;
      if (unreadable) log.warn({ reason: error.message, interaction: interaction.type }, 'interaction could not be read');
      else log.error({ err: loggableError(error), interaction: interaction.type }, 'interaction failed');
      await answerPrivately(interaction, unreadable ? UNREADABLE_TEXT : FAILED_TEXT);
    }
  };
}
