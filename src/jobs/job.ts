/** The persisted state of one synthesis job. */
import type { RunRequest } from '../model.js';

/** Lifecycle: queued -> running -> succeeded | failed | cancelled; `interrupted` after a restart. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** Who asked, and where the answer goes (adapter-specific fields, e.g. channel and thread ids). */
export interface JobOrigin {
  /** `slack`, `discord`, `cli`, ... */
  platform: string;
  userId: string;
  [key: string]: string | undefined;
}

/** A job as stored. */
export interface JobRecord {
  id: string;
  status: JobStatus;
  request: RunRequest;
  origin: JobOrigin;
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
