/** The persisted state of one synthesis job. */
import type { RunRequest } from '../model.js';

/**
 * Lifecycle: admitted (the record exists; the chat layer is posting the parent and opening the thread)
 * -> queued -> running -> succeeded | failed | cancelled; `interrupted` when the process that owned it
 * stopped before it finished.
 */
export type JobStatus = 'admitted' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** A message the chat layer posted for a run. */
export interface PostedRef {
  channel: string;
  id: string;
}

/**
 * How far the answer of a run has been delivered, recorded before each next step so a restarted
 * process can go on from the last one without posting anything twice (see
 * `adapters/shared/conversation.ts`): admitted -> parent posted -> running -> answered (or failure
 * posted) -> files attached -> finalised (parent, progress and status in their final state).
 */
export interface Delivery {
  step: 'admitted' | 'parent' | 'running' | 'answered' | 'files' | 'failed' | 'finalised';
  /** Where the run reports. */
  place?: { channel: string; thread?: string; replyTo?: string; note?: string };
  /** The parent message; `own` when the bot posted it (and edits it with the outcome). */
  parent?: PostedRef & { own: boolean };
  progress?: PostedRef;
  answer?: PostedRef;
  failure?: PostedRef;
}

/** Which process owns a run, until when (renewed while it lives; another process takes over once it has expired). */
export interface Lease {
  owner: string;
  /** Epoch ms. */
  until: number;
}

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
  /** Set while a process owns the run (from admission until its delivery is finalised). */
  lease?: Lease;
  /** How many times the run was resumed after its process stopped (absent: never). */
  resumes?: number;
  /** The chat layer's delivery of the run (absent for runs that no chat delivers, e.g. tests). */
  delivery?: Delivery;
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
