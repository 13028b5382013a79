/**
 * The bot's last line of defence. Requests, events and listener errors are handled where they happen
 * (the Slack receiver's screen, Bolt's error handler, each adapter's own catch), but a promise a
 * library leaves rejected with nobody listening would, by Node's default, end the process and every
 * run in it for every user. In `npm start` such a rejection is logged as an error and the bot keeps
 * running. An uncaught *exception* still ends the process (Node's default): after a synchronous throw
 * out of who knows where, state may be half-updated, and a supervisor restarting the bot (with
 * interrupted runs announced and retried) is the safer answer.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../src/logger.js';

/** Logs unhandled rejections on `target` (the process) instead of exiting; returns the undo. */
export function guardProcess(log: Logger, target: Pick<EventEmitter, 'on' | 'off'> = process): () => void {
  const onRejection = (reason: unknown) => {
    log.error({ err: reason }, 'unhandled promise rejection; the bot keeps running');
  };
  target.on('unhandledRejection', onRejection);
  return () => void target.off('unhandledRejection', onRejection);
}
