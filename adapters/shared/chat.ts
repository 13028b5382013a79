/**
 * What a chat platform implements to carry the conversation of `conversation.ts`: a transport (post,
 * edit, open a thread, attach files, an ephemeral reply, a thread status; the last four optional where
 * a platform lacks them) and a renderer from the conversation's states to the platform's own message
 * type `M`. Everything else (admission, threads, progress, the answer, failure with Retry, Cancel,
 * restart notices, the error texts) is the shared flow's. In the spirit of vercel/chat's `Adapter`.
 */
import type { ProgressSnapshot } from '../../src/progress.js';
import type { Report } from '../../src/model.js';
import type { ReportFile } from './files.js';

/**
 * Where messages go: a channel, a thread in it, or the channel as replies to one message (when no
 * thread can be opened). `note` says why, when the place is a fallback.
 */
export interface Place {
  channel: string;
  /** Slack: the thread's `ts`; Discord: the thread's channel id. */
  thread?: string;
  /** Post as a reply to this message (Discord, when threads are not allowed). */
  replyTo?: string;
  /** Shown above the progress, e.g. why the run reports in the channel rather than a thread. */
  note?: string;
}

/** A message the bot (or a user) posted. */
export interface MessageRef {
  channel: string;
  /** Slack: `ts`; Discord: the message id. */
  id: string;
}

/** How urgent a write is; transports with a queue serve higher first (Slack's rate lanes). */
export type Priority = 'background' | 'answer' | 'interactive';

/** The platform's side of sending. Methods reject with the platform's own errors. */
export interface ChatTransport<M> {
  /**
   * Posts a message; with files, they are attached to it. With a `key`, the post can be found again
   * (`find`) or is not repeated by the platform (Discord's enforced nonce), so a run resumed after a
   * crash never posts its parent or answer twice.
   */
  post(place: Place, message: M, options?: { priority?: Priority; files?: readonly ReportFile[]; key?: string }): Promise<MessageRef>;
  /** The bot's message posted in a place with this `key`, if any (Slack: message metadata). */
  find?(place: Place, key: string): Promise<MessageRef | undefined>;
  /**
   * Attaches files in a place as a message of their own, where the platform uploads them apart from a
   * message (Slack); the answer's files are then a delivery step of their own. Absent: `post` attaches.
   */
  attach?(place: Place, files: readonly ReportFile[]): Promise<void>;
  edit(message: MessageRef, next: M, priority?: Priority): Promise<void>;
  /**
   * Opens a thread on a message. Absent where every message is a thread root (Slack: the thread is
   * the parent's `ts`). May resolve to a fallback place with a `note` (no permission to open one).
   */
  openThread?(parent: MessageRef, question: string): Promise<Place>;
  /** A message only `user` sees. Absent where the platform has none outside an interaction. */
  ephemeral?(place: Place, user: string, message: M): Promise<void>;
  /** A short "is searching…" status on the thread; '' clears it. Best effort: rejections are ignored. */
  setStatus?(place: Place, text: string): Promise<void>;
  /** A sentence for a person when posting in a channel failed (e.g. "invite me first"), if the platform knows one. */
  explainFailure?(error: unknown): Words | undefined;
}

/** How a run ended, as the parent message says it. */
export type RunOutcome =
  | { kind: 'answered'; line: string | undefined; claims: number; quality: number }
  | { kind: 'cancelled' }
  | { kind: 'failed' }
  /** The run never started (the text says why). */
  | { kind: 'refused'; text: string }
  /** The report is ready but could not be posted where the run lives. */
  | { kind: 'undelivered' };

/** The platform's drawing of each state of the conversation. Untrusted text is escaped here. */
export interface ChatRenderer<M> {
  /** The "Researching: …" parent, and its final form with the outcome. */
  parent(view: { question: string; asker: string; outcome?: RunOutcome }): M;
  /**
   * The progress message: stages so far and the elapsed time, with a Cancel control while the run
   * is going; one line once the run has finished or failed.
   */
  progress(snapshot: ProgressSnapshot, view: { runId: string; note?: string }): M;
  /** The thread status text for a snapshot ("is screening papers…"), where the transport has `setStatus`. */
  status?(snapshot: ProgressSnapshot): string;
  /** The answer: bottom line, top claims, sources; it names the asker, who is the one user it may notify. */
  answer(report: Report, view: { asker: string }): M;
  /** A failed (or cancelled) run: the reason and, when `retryable`, a Retry control. */
  failure(view: { runId: string; text: string; retryable: boolean; cancelled?: boolean }): M;
  /** One claim's verbatim quote and its evidence for and against ("explain claim 3" in a thread). */
  evidence?(report: Report, claim: Report['claims'][number]): M;
  /** A sentence on its own (a refusal, a confirmation): plain text, escaped here, and users named inline. */
  notice(words: Words): M;
}

/** Plain text with users named in it; a renderer escapes the text and mentions the users (pinging nobody). */
export type Words = string | readonly (string | { user: string })[];

/** A chat platform as the shared conversation drives it. */
export interface ChatPlatform<M> {
  /** `slack`, `discord`, …: stored in each run's origin. */
  readonly name: string;
  readonly transport: ChatTransport<M>;
  readonly render: ChatRenderer<M>;
  /** Called after an answer is posted (e.g. Slack remembers the message's view for its buttons). */
  answered?(message: MessageRef, report: Report, asker: string): Promise<void>;
}

/**
 * Renders words with `text` for the plain parts (which may trim them: the spaces around each part are
 * kept) and `user` for the users named.
 */
export function renderWords(words: Words, text: (part: string) => string, user: (id: string) => string): string {
  const parts = typeof words === 'string' ? [words] : words;
  return parts
    .map((part) => {
      if (typeof part !== 'string') return user(part.user);
      const lead = /^\s*/.exec(part)![0];
      const trail = part.length > lead.length ? /\s*$/.exec(part)![0] : '';
      return `${lead ? ' ' : ''}${text(part)}${trail ? ' ' : ''}`;
    })
    .join('');
}
