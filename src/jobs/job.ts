/** The persisted state of one synthesis job. */
import type { RunRequest } from '../model.js';

/** Lifecycle: queued -> running -> succeeded | failed | cancelled; `interrupted` after a restart. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * Who asked for a run and where it lives. The chat layer (`adapters/shared/conversation.ts`) fills
 * it in before the run starts, so a restart notice or a Retry finds the thread from the record alone.
 */
export interface RunOrigin {
  /** `slack`, `discord`, `cli`, ... */
  platform: string;
  /** The platform's id of the person who asked; the per-user limit and Cancel/Retry rights go by it. */
  asker: string;
  /** The channel the run was asked in. */
  channel?: string;
  /** The thread the run reports in (Slack: the thread's `ts`; Discord: the thread's channel id). */
  thread?: string;
  /** The message the run hangs off: the bot's "Researching: …" parent, or the message that asked. */
  message?: string;
  /** The workspace (Slack team) or guild. */
  workspace?: string;
  /** The failed or interrupted run this one retries. */
  retryOf?: string;
}

/** @deprecated The old name of {@link RunOrigin}. */
export type JobOrigin = RunOrigin;

/** A job as stored. */
export interface JobRecord {
  id: string;
  status: JobStatus;
  request: RunRequest;
  origin: RunOrigin;
  createdAt: string;
  updatedAt: string;
  /** Set when succeeded: the report's id (equal to the job id). */
  reportId?: string;
  error?: { code: string; message: string };
}

/** True for statuses that will not change any more. */
export function isFinished(status: JobStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'interrupted';
}

/**
 * Reads an origin stored by an earlier version (`userId`, `channelId`/`channel`, `threadTs`, `parentTs`,
 * `teamId`/`guildId` as an untyped bag) into a {@link RunOrigin}; a current one is returned as it is.
 */
export function readOrigin(stored: Record<string, unknown>): RunOrigin {
  if (typeof stored.asker === 'string') return stored as unknown as RunOrigin;
  const text = (...keys: string[]) => keys.map((k) => stored[k]).find((v): v is string => typeof v === 'string' && v !== '');
  const origin: RunOrigin = { platform: text('platform') ?? 'unknown', asker: text('userId') ?? '' };
  const fields: [keyof RunOrigin, string[]][] = [
    ['channel', ['channel', 'channelId']],
    ['thread', ['threadTs', 'threadId']],
    ['message', ['parentTs', 'messageId']],
    ['workspace', ['teamId', 'guildId']],
    ['retryOf', ['retryOf']],
  ];
  for (const [field, keys] of fields) {
    const value = text(...keys);
    if (value !== undefined) origin[field] = value;
  }
  return origin;
}
