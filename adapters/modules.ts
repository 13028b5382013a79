/** The chat adapters `npm start` knows about. */
import type { AdapterModule } from './adapter.js';
import { discordAdapterModule } from './discord/index.js';

/** Every adapter module, in start order. */
export const ADAPTER_MODULES: readonly AdapterModule<never>[] = [discordAdapterModule as AdapterModule<never>];
