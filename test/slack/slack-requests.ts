/**
 * Requests as Slack sends them to an app's Request URL: slash commands form-encoded, button clicks as
 * `payload=<json>`, Events API callbacks as JSON, each signed with the v0 HMAC-SHA256 scheme
 * (`v0:<timestamp>:<body>` keyed by the signing secret) in `X-Slack-Signature`.
 * See https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import { createHmac } from 'node:crypto';

/** Signs a body the way Slack does. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Options of {@link postSigned}. */
export interface SignedPostOptions {
  secret: string;
  contentType: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Sign with this secret instead (a forged request). */
  signWith?: string;
  headers?: Record<string, string>;
}

/** POSTs a signed body; resolves with the status, the time to the response and its body. */
export async function postSigned(url: string, body: string, options: SignedPostOptions): Promise<{ status: number; ms: number; text: string }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(options.signWith ?? options.secret, timestamp, body),
      ...options.headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, ms: performance.now() - started, text };
}

let triggerCounter = 0;

/** A slash command's form body, with every field Slack sends. */
export function slashCommandBody(fields: { text: string; channel: string; user: string; responseUrl: string; triggerId?: string; command?: string }): string {
  return new URLSearchParams({
    token: 'verification-token-unused',
    team_id: 'T0FAKE',
    team_domain: 'fake-workspace',
    channel_id: fields.channel,
    channel_name: 'research',
    user_id: fields.user,
    user_name: 'researcher',
    command: fields.command ?? '/synthesize',
    text: fields.text,
    api_app_id: 'A0FAKE',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? `${Date.now()}.${++triggerCounter}.abcdef`,
  }).toString();
}

/** A `block_actions` payload for a button click on a message, form-encoded as `payload=`. */
export function buttonClickBody(fields: {
  user: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  responseUrl: string;
}): string {
  const payload = {
    type: 'block_actions',
    user: { id: fields.user, username: 'researcher', name: 'researcher', team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'verification-token-unused',
    container: {
      type: 'message',
      message_ts: fields.messageTs,
      channel_id: fields.channel,
      is_ephemeral: false,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    },
    trigger_id: `${Date.now()}.${++triggerCounter}.fedcba`,
    team: { id: 'T0FAKE', domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: fields.channel, name: 'research' },
    message: { type: 'message', ts: fields.messageTs, bot_id: 'B0FAKE', text: '', ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}) },
    state: { values: {} },
    response_url: fields.responseUrl,
    actions: [
      {
        action_id: fields.actionId,
        block_id: 'blk',
        text: { type: 'plain_text', text: 'button', emoji: true },
        value: fields.value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API `app_mention` callback body. */
export function appMentionBody(fields: { eventId: string; channel: string; user: string; text: string; ts: string; threadTs?: string }): string {
  return JSON.stringify({
    token: 'verification-token-unused',
    team_id: 'T0FAKE',
    api_app_id: 'A0FAKE',
    event: {
      type: 'app_mention',
      user: fields.user,
      text: fields.text,
      ts: fields.ts,
      channel: fields.channel,
      event_ts: fields.ts,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    },
    type: 'event_callback',
    event_id: fields.eventId,
    event_time: Math.floor(Date.now() / 1000),
    authed_users: ['UBOT'],
    authorizations: [{ enterprise_id: null, team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: '4-eyJldCI6ImFwcF9tZW50aW9uIn0',
  });
}

/** An Events API `message` callback body (`message.channels`): a plain message, or a bot's with `botId`. */
export function messageEventBody(fields: { eventId: string; channel: string; user: string; text: string; ts: string; threadTs?: string; botId?: string; subtype?: string }): string {
  return JSON.stringify({
    token: 'verification-token-unused',
    team_id: 'T0FAKE',
    api_app_id: 'A0FAKE',
    event: {
      type: 'message',
      channel_type: 'channel',
      user: fields.user,
      text: fields.text,
      ts: fields.ts,
      channel: fields.channel,
      event_ts: fields.ts,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
      ...(fields.botId ? { bot_id: fields.botId } : {}),
      ...(fields.subtype ? { subtype: fields.subtype } : {}),
    },
    type: 'event_callback',
    event_id: fields.eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** A `view_submission` payload (a modal's Submit), form-encoded as `payload=`; `values` by block id, each with one input of the same action id. */
export function viewSubmissionBody(fields: { user: string; callbackId: string; privateMetadata: string; values: Record<string, string | null> }): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0FAKE', domain: 'fake-workspace' },
    user: { id: fields.user, username: 'researcher', name: 'researcher', team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'verification-token-unused',
    trigger_id: `${Date.now()}.${++triggerCounter}.abcabc`,
    view: {
      id: 'V00000001',
      team_id: 'T0FAKE',
      type: 'modal',
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      blocks: [],
      state: { values: Object.fromEntries(Object.entries(fields.values).map(([block, value]) => [block, { [block]: { type: 'plain_text_input', value } }])) },
      hash: '1700000000.abcdef',
      title: { type: 'plain_text', text: 'Modal' },
      app_id: 'A0FAKE',
      bot_id: 'B0FAKE',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API `reaction_added` callback body (a reaction on a message). */
export function reactionAddedBody(fields: { eventId: string; user: string; reaction: string; channel: string; ts: string }): string {
  return JSON.stringify({
    token: 'verification-token-unused',
    team_id: 'T0FAKE',
    api_app_id: 'A0FAKE',
    event: { type: 'reaction_added', user: fields.user, reaction: fields.reaction, item_user: 'UBOT', item: { type: 'message', channel: fields.channel, ts: fields.ts }, event_ts: `${Date.now() / 1000}` },
    type: 'event_callback',
    event_id: fields.eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}
