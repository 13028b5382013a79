/**
 * The custom_ids of the bot's buttons and select menus. They carry only a report (or job) id and a
 * claim id; everything else is read from the report store when the component is used, so components
 * keep working after a restart. https://discord.com/developers/docs/components/reference#anatomy-of-a-component
 */
import { LIMITS } from './text.js';

/** What a component click asks for. */
export type ComponentAction =
  | { kind: 'claim'; reportId: string; claimId: string }
  | { kind: 'claims'; reportId: string }
  | { kind: 'retry'; jobId: string }
  /** The progress message's Cancel: asks for confirmation. */
  | { kind: 'cancel'; jobId: string }
  /** The confirmation's "Cancel the run". */
  | { kind: 'cancel-confirmed'; jobId: string }
  /** "Flag this claim" (opens a modal asking why), and that modal's submission. */
  | { kind: 'flag'; reportId: string; claimId: string }
  | { kind: 'flag-reason'; reportId: string; claimId: string }
  /** A thumbs up or down on an answer. */
  | { kind: 'vote'; reportId: string; vote: 'up' | 'down' };

const SAFE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

function checked(id: string): string {
  if (id.length > LIMITS.customId) throw new Error(`custom_id longer than ${LIMITS.customId} characters: ${id.slice(0, 40)}…`);
  return id;
}

/** A claim button: `claim:<reportId>:<claimId>`. */
export function claimButtonId(reportId: string, claimId: string): string {
  return checked(`claim:${reportId}:${claimId}`);
}

/** The claims select menu of a report (the chosen value is the claim id): `claims:<reportId>[:<page>]`. */
export function claimSelectId(reportId: string, page = 0): string {
  return checked(page === 0 ? `claims:${reportId}` : `claims:${reportId}:${page}`);
}

/** The Retry button of a failed job: `retry:<jobId>`. */
export function retryButtonId(jobId: string): string {
  return checked(`retry:${jobId}`);
}

/** The Cancel button of a running job: `cancel:<jobId>`. */
export function cancelButtonId(jobId: string): string {
  return checked(`cancel:${jobId}`);
}

/** The button that confirms a cancel: `cancel-confirmed:<jobId>`. */
export function confirmCancelButtonId(jobId: string): string {
  return checked(`cancel-confirmed:${jobId}`);
}

/** The "Flag this claim" button: `flag:<reportId>:<claimId>`; its modal: `flag-reason:<reportId>:<claimId>`. */
export function flagButtonId(reportId: string, claimId: string): string {
  return checked(`flag:${reportId}:${claimId}`);
}

/** The custom_id of the modal a flag opens. */
export function flagModalId(reportId: string, claimId: string): string {
  return checked(`flag-reason:${reportId}:${claimId}`);
}

/** A vote button of an answer: `vote:<reportId>:up|down`. */
export function voteButtonId(reportId: string, vote: 'up' | 'down'): string {
  return checked(`vote:${reportId}:${vote}`);
}

/** Parses a custom_id made by this module; undefined for anything else. */
export function parseCustomId(customId: string): ComponentAction | undefined {
  const [kind, first, second] = customId.split(':');
  if (!first || !SAFE_ID.test(first)) return undefined;
  if (kind === 'claim' && second && SAFE_ID.test(second)) return { kind, reportId: first, claimId: second };
  if (kind === 'claims') return { kind, reportId: first };
  if ((kind === 'flag' || kind === 'flag-reason') && second && SAFE_ID.test(second)) return { kind, reportId: first, claimId: second };
  if (kind === 'vote' && (second === 'up' || second === 'down')) return { kind, reportId: first, vote: second };
  if ((kind === 'retry' || kind === 'cancel' || kind === 'cancel-confirmed') && second === undefined) return { kind, jobId: first };
  return undefined;
}
