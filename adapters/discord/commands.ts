/**
 * The `/synthesize` slash command and its registration. Registration is a bulk overwrite (PUT), so
 * running it again changes nothing; it is guild-scoped (instant) when `DISCORD_GUILD_ID` is set and
 * global otherwise. https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  Routes,
  SlashCommandBuilder,
  type REST,
  type RESTPutAPIApplicationCommandsJSONBody,
  type RESTPutAPIApplicationCommandsResult,
} from 'discord.js';
import { MAX_QUESTION_LENGTH } from '../../src/text/sanitize.js';
import type { DiscordConfig } from './config.js';

/** The command's name. */
export const COMMAND_NAME = 'synthesize';

/** Option names of the command (also read by the interaction handler). */
export const OPTION = { question: 'question', yearFrom: 'year_from', yearTo: 'year_to', maxPapers: 'max_papers' } as const;

/** The command definitions sent to Discord. */
export function commandDefinitions(): RESTPutAPIApplicationCommandsJSONBody {
  const command = new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription('Search the literature, verify the claims and write a cited synthesis in a thread')
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .addStringOption((o) =>
      o
        .setName(OPTION.question)
        .setDescription('Your research question, e.g. "Does vitamin D reduce fracture risk?"')
        .setRequired(true)
        .setMinLength(3)
        .setMaxLength(MAX_QUESTION_LENGTH),
    )
    .addIntegerOption((o) => o.setName(OPTION.yearFrom).setDescription('Only papers published in or after this year').setMinValue(1800).setMaxValue(2100))
    .addIntegerOption((o) => o.setName(OPTION.yearTo).setDescription('Only papers published in or before this year').setMinValue(1800).setMaxValue(2100))
    .addIntegerOption((o) => o.setName(OPTION.maxPapers).setDescription('How many papers to include (default 20)').setMinValue(1).setMaxValue(200));
  return [command.toJSON()];
}

/** Registers the commands (bulk overwrite); resolves to what Discord stored. */
export async function registerCommands(config: DiscordConfig, rest: REST): Promise<{ scope: 'guild' | 'global'; commands: RESTPutAPIApplicationCommandsResult }> {
  const route = config.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(config.DISCORD_APPLICATION_ID, config.DISCORD_GUILD_ID)
    : Routes.applicationCommands(config.DISCORD_APPLICATION_ID);
  const commands = (await rest.put(route, { body: commandDefinitions() })) as RESTPutAPIApplicationCommandsResult;
  return { scope: config.DISCORD_GUILD_ID ? 'guild' : 'global', commands };
}
