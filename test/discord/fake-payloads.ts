/**
 * Discord objects as the real API sends them (the shapes of the OpenAPI spec's responses and of the
 * gateway's dispatches), built for the loopback fake: users, a guild with a text channel, messages,
 * threads and interactions. Ids are real-format snowflakes so discord.js buckets them correctly.
 */
const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A fresh snowflake (timestamp << 22 | increment), as a string. */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

/** A user object. */
export function user(id: string, username: string, bot = false) {
  return { id, username, discriminator: '0', global_name: bot ? null : username, avatar: null, bot, public_flags: 0, flags: 0 };
}

/** Permission bits the fake grants (everything but Administrator), as Discord sends them: a string. */
export const ALL_PERMISSIONS = ((1n << 50n) - 1n - 8n).toString();

/** A guild member object. */
export function member(u: ReturnType<typeof user>) {
  return { user: u, roles: [], nick: null, avatar: null, joined_at: new Date(0).toISOString(), premium_since: null, deaf: false, mute: false, flags: 0, pending: false, permissions: ALL_PERMISSIONS };
}

/** A guild text channel. */
export function textChannel(id: string, guildId: string, name: string) {
  return { id, type: 0, guild_id: guildId, name, position: 0, permission_overwrites: [], topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, parent_id: null, flags: 0 };
}

/** A public thread started from a message. */
export function thread(id: string, guildId: string, parentId: string, ownerId: string, name: string, autoArchive: number) {
  return {
    id,
    type: 11,
    guild_id: guildId,
    parent_id: parentId,
    owner_id: ownerId,
    name,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    flags: 0,
    total_message_sent: 0,
    thread_metadata: { archived: false, auto_archive_duration: autoArchive, archive_timestamp: new Date().toISOString(), locked: false, create_timestamp: new Date().toISOString() },
  };
}

/** A guild for GUILD_CREATE, with its channels and the bot as a member. */
export function guild(id: string, channels: object[], botUser: ReturnType<typeof user>) {
  return {
    id,
    name: 'Research lab',
    icon: null,
    owner_id: '100000000000000001',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [{ id, name: '@everyone', permissions: ALL_PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [member(botUser)],
    channels,
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}

/** A message object. */
export function message(fields: {
  id: string;
  channelId: string;
  guildId?: string;
  author: ReturnType<typeof user>;
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  attachments?: { id: string; filename: string; size: number }[];
  flags?: number;
  mentions?: unknown[];
  messageReference?: { message_id: string };
  applicationId?: string;
  webhookId?: string;
}) {
  return {
    id: fields.id,
    type: fields.messageReference ? 19 : 0,
    channel_id: fields.channelId,
    ...(fields.guildId ? { guild_id: fields.guildId } : {}),
    author: fields.author,
    content: fields.content ?? '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: fields.mentions ?? [],
    mention_roles: [],
    attachments: (fields.attachments ?? []).map((a) => ({
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: `https://cdn.discordapp.com/attachments/${fields.channelId}/${a.id}/${a.filename}`,
      proxy_url: `https://media.discordapp.net/attachments/${fields.channelId}/${a.id}/${a.filename}`,
    })),
    embeds: fields.embeds ?? [],
    components: fields.components ?? [],
    pinned: false,
    flags: fields.flags ?? 0,
    ...(fields.messageReference ? { message_reference: { type: 0, channel_id: fields.channelId, ...fields.messageReference } } : {}),
    ...(fields.applicationId ? { application_id: fields.applicationId } : {}),
    ...(fields.webhookId ? { webhook_id: fields.webhookId } : {}),
  };
}
