/** The chat adapters `npm start` knows about. */
import type { AdapterModule } from './adapter.js';
import { discordAdapterModule } from './discord/index.js';
import { slackAdapterModule } from './slack/adapter.js';

/** Every adapter module, in start order. */
export const ADAPTER_MODULES: readonly AdapterModule<never>[] = [
  slackAdapterModule as AdapterModule<never>,
  discordAdapterModule as AdapterModule<never>,
];
