/**
 * Bolt's HTTP receiver behind a screen. Bolt parses a signed body and then reads `body.ssl_check`
 * outside any `try`: a body that parses to `null` (`payload=null`, or the JSON body `null`) threw
 * there, the rejection was unhandled and the process ended. Bodies that parse to an array, a number
 * or an object without a type waited 3 s for an ack that never came. Bolt also accepts timestamps from
 * the future (it refuses only stale ones), while Slack's advice is five minutes either way.
 *
 * So every POST to the events endpoint is read and checked here first, the way Bolt would: the
 * timestamp within five minutes of this clock (else 401), the v0 signature (a bad one is left to Bolt,
 * which answers 401 as before), then the body: it must parse and be an object with a `type` or a
 * `command`. A signed request that fails the body check is answered **400** at once, with a warning
 * naming why; Slack never sends such a body, so a 400 only tells a broken proxy or a replayer what is
 * wrong, and no listener runs. What passes goes to Bolt's own listener with its body already read.
 * See https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, HTTPReceiver, isValidSlackRequest, type HTTPReceiverOptions } from '@slack/bolt';
import type { Logger } from '../../src/logger.js';

/** Slack's replay window, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Options of {@link createGuardedReceiver}. */
export interface GuardedReceiverOptions extends Omit<HTTPReceiverOptions, 'signingSecret' | 'endpoints'> {
  signingSecret: string;
  log: Logger;
  /** What the app listens for: anything else is acknowledged (200) at once, not left to Bolt's 3 s 404. */
  handled?: Handled;
  now?: () => number;
}

const ENDPOINT = '/slack/events';
const FORM = 'application/x-www-form-urlencoded';

/** What the app has listeners for; a signed request for anything else is acknowledged at once. */
export interface Handled {
  commands: readonly string[];
  /** Action ids of `block_actions` (patterns). */
  actions: readonly RegExp[];
  /** Callback ids of modal submissions. */
  views: readonly string[];
}

/** Interaction types the app never offers (shortcuts, legacy attachments, options loads, dialogs). */
const NEVER_OFFERED = new Set(['shortcut', 'message_action', 'block_suggestion', 'interactive_message', 'dialog_submission', 'dialog_suggestion', 'dialog_cancellation', 'workflow_step_edit']);

/** Why a signed body is refused, `'unhandled'` when no listener would take it, or undefined when Bolt can take it. */
export function bodyProblem(request: { rawBody: Buffer; headers: IncomingMessage['headers'] }, handled?: Handled): string | undefined {
  let body: unknown;
  try {
    body = HTTPModuleFunctions.parseHTTPRequestBody(request as Parameters<typeof HTTPModuleFunctions.parseHTTPRequestBody>[0]);
  } catch {
    return 'the body (or its payload field) is not valid JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not a JSON object';
  const fields = body as { type?: unknown; command?: unknown; ssl_check?: unknown; user?: unknown; actions?: unknown; event?: unknown; view?: unknown };
  if (fields.ssl_check === '1') return undefined;
  if (typeof fields.type !== 'string' && typeof fields.command !== 'string') return 'the body is not a Slack event, command or interaction (no type or command)';
  const interaction = ['block_actions', 'view_submission', 'view_closed'].includes(fields.type as string);
  // Bolt reads `user.id` of an interaction before any listener runs.
  if (interaction && (typeof fields.user !== 'object' || fields.user === null || typeof (fields.user as { id?: unknown }).id !== 'string')) return 'the interaction has no user';
  if (!handled) return undefined;
  if (typeof fields.command === 'string') return handled.commands.includes(fields.command) ? undefined : 'unhandled';
  switch (fields.type) {
    case 'event_callback':
      return typeof fields.event === 'object' && fields.event !== null ? undefined : 'unhandled';
    case 'block_actions': {
      const actions = Array.isArray(fields.actions) ? (fields.actions as { action_id?: unknown }[]) : [];
      return actions.some((a) => typeof a?.action_id === 'string' && handled.actions.some((re) => re.test(a.action_id as string))) ? undefined : 'unhandled';
    }
    case 'view_submission':
    case 'view_closed': {
      const callback = (fields.view as { callback_id?: unknown } | undefined)?.callback_id;
      return typeof callback === 'string' && handled.views.includes(callback) ? undefined : 'unhandled';
    }
    default:
      return NEVER_OFFERED.has(fields.type as string) ? 'unhandled' : undefined;
  }
}

/** Creates an HTTP receiver that screens every request to `/slack/events` before Bolt sees it. */
export function createGuardedReceiver(options: GuardedReceiverOptions): HTTPReceiver {
  const { log, now = Date.now, handled, ...receiverOptions } = options;
  const bodyLimit = options.bodyLimit ?? HTTPModuleFunctions.defaultBodyLimit;
  const receiver = new HTTPReceiver({ ...receiverOptions, endpoints: [ENDPOINT] });
  const boltListener: RequestListener = receiver.requestListener;

  const refuse = (res: ServerResponse, status: number, reason: string, close = false) => {
    log.warn({ status }, `Slack request refused: ${reason}`);
    // A body left unread (over the limit) must not be taken for the next request on the connection.
    if (!res.headersSent) res.writeHead(status, close ? { connection: 'close' } : {}).end();
  };

  /** True when the request may go on to Bolt; otherwise it has been answered. */
  const screen = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    let buffered: IncomingMessage & { rawBody: Buffer };
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, bodyLimit);
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error as { statusCode: number }).statusCode === 413;
      refuse(res, tooLarge ? 413 : 400, tooLarge ? `the body is over ${bodyLimit} bytes` : `the body could not be read (${(error as Error).message})`, true);
      return false;
    }
    const text = buffered.rawBody.toString();
    // Slack's unsigned SSL check; Bolt strips anything else from it.
    if (req.headers['content-type'] === FORM && new URLSearchParams(text).get('ssl_check') === '1') return true;
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    const signature = req.headers['x-slack-signature'];
    if (!Number.isFinite(timestamp) || typeof signature !== 'string') return true; // Bolt answers 401
    if (Math.abs(now() / 1000 - timestamp) > MAX_CLOCK_SKEW_SECONDS) {
      refuse(res, 401, `its timestamp is more than 5 minutes from this server's clock (a replay, or a clock to set)`);
      return false;
    }
    const signed = isValidSlackRequest({
      signingSecret: options.signingSecret,
      body: text,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: now(),
    });
    // A bad signature is Bolt's to refuse (401, logged); its body is not worth reading.
    if (!signed) return true;
    const problem = bodyProblem(buffered, handled);
    if (problem === 'unhandled') {
      // Signed, well formed, but nothing here listens for it: acknowledged, so Slack shows no error.
      log.info('Slack request with no listener acknowledged');
      if (!res.headersSent) res.writeHead(200).end();
      return false;
    }
    if (problem) {
      refuse(res, 400, problem);
      return false;
    }
    return true;
  };

  receiver.requestListener = (req, res) => {
    let path: string | undefined;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = undefined;
    }
    // Everything else (health check, unknown paths) is Bolt's routing, as before.
    if (req.method !== 'POST' || path !== ENDPOINT) {
      boltListener(req, res);
      return;
    }
    screen(req, res)
      .then((pass) => {
        if (pass) boltListener(req, res);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'Slack request could not be handled');
        if (!res.headersSent) res.writeHead(500).end();
      });
  };
  return receiver;
}
