/** The chat adapters `npm start` knows about. */
import type { AdapterModule } from './adapter.js';
import { discordAdapterModule } from './discord/index.js';
import { slackAdapterModule } from './slack/adapter.js';
import { webAdapterModule } from './web/index.js';

/** Every adapter module, in start order. The web page is the embedded default: with no chat platform configured it is what `npm start` serves. */
export const ADAPTER_MODULES: readonly AdapterModule<never>[] = [
  slackAdapterModule as AdapterModule<never>,
  discordAdapterModule as AdapterModule<never>,
  webAdapterModule as AdapterModule<never>,
];
