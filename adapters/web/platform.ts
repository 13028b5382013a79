/**
 * The web as a chat platform of the shared conversation (`../shared/chat.ts`): the transport posts
 * and edits messages in the visitor's channel of the hub (which pushes them to the open pages), a
 * thread is the parent's id (as in Slack, no `openThread`), and an ephemeral message goes to the
 * open pages only. The renderer draws HTML (`render.ts`).
 */
import type { ChatPlatform, ChatTransport } from '../shared/chat.js';
import type { Hub, WebMessage } from './hub.js';
import { createWebRenderer, type ReportLinks } from './render.js';

/** Creates the transport over the hub. */
export function createWebTransport(hub: Hub): ChatTransport<WebMessage> {
  return {
    async post(place, message, options = {}) {
      const posted = await hub.post(place.channel, place.thread, message, options.key ? { key: options.key } : {});
      return { channel: posted.channel, id: posted.id };
    },
    async find(place, key) {
      const found = await hub.find(place.channel, key);
      return found ? { channel: found.channel, id: found.id } : undefined;
    },
    async edit(ref, next) {
      const edited = await hub.edit(ref.channel, ref.id, next);
      if (!edited) throw new Error(`message ${ref.id} is no longer in its channel`);
    },
    async ephemeral(place, _user, message) {
      // A channel is one visitor's: whoever sees its pages is that visitor.
      await hub.post(place.channel, place.thread, message, { ephemeral: true });
    },
  };
}

/** The web as a chat platform. */
export function createWebPlatform(hub: Hub, links: ReportLinks): ChatPlatform<WebMessage> {
  return { name: 'web', transport: createWebTransport(hub), render: createWebRenderer(links) };
}
