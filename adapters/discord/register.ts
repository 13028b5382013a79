/**
 * `npm run discord:register`: registers the `/synthesize` command for the application in
 * `DISCORD_APPLICATION_ID` (in the server `DISCORD_GUILD_ID` when set, else globally). Idempotent.
 */
import { REST } from 'discord.js';
import { asSynthError } from '../../src/errors.js';
import { registerCommands } from './commands.js';
import { loadDiscordConfig, type DiscordConfig } from './config.js';

/** Registers the commands and returns a one-line summary. */
export async function runRegister(config: DiscordConfig): Promise<string> {
  const rest = new REST(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}).setToken(config.DISCORD_TOKEN);
  const { scope, commands } = await registerCommands(config, rest);
  const names = commands.map((c) => `/${c.name}`).join(', ');
  return scope === 'guild'
    ? `Registered ${names} in server ${config.DISCORD_GUILD_ID} (available now).`
    : `Registered ${names} globally (Discord may take up to an hour to show it everywhere).`;
}

// Run when executed directly (`npm run discord:register`), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const config = loadDiscordConfig();
    if (!config) throw new Error('DISCORD_TOKEN is not set: set DISCORD_TOKEN and DISCORD_APPLICATION_ID (see .env.example).');
    process.stdout.write(`${await runRegister(config)}\n`);
  } catch (error) {
    process.stderr.write(`discord:register: ${asSynthError(error).message}\n`);
    process.exit(1);
  }
}
