/**
 * The bot's interactive elements: their action ids and what their `value` carries. A value holds only
 * ids (a report id and a claim id, a report id and a page, a job id); everything else is read from the
 * stores when the button is clicked, so buttons keep working after a restart.
 */
import { LIMITS } from './limits.js';

/** Action ids (prefixes: an id is made unique within a message by a suffix). */
export const ACTION = {
  /** Show or hide one claim's evidence. Suffix: the claim's position on the page. */
  toggleClaim: 'claim_toggle',
  /** Show another page of claims. Suffix: `next` or `prev`. */
  page: 'claims_page',
  /** Start a failed run again. */
  retry: 'run_retry',
  /** Cancel a run in progress. */
  cancel: 'run_cancel',
  /** Flag a claim (opens a modal asking why). Value: report id and claim id. */
  flag: 'flag_claim',
} as const;

/** The callback id of the modal a flag opens (its private metadata: report id and claim id). */
export const FLAG_VIEW = 'flag_claim_reason';

/** Matches every action id of one kind. */
export function actionPattern(kind: (typeof ACTION)[keyof typeof ACTION]): RegExp {
  return new RegExp(`^${kind}(?::[a-z0-9]+)?$`);
}

const SEPARATOR = '|';

function encode(parts: string[]): string {
  const value = parts.join(SEPARATOR);
  if (parts.some((p) => p.length === 0 || p.includes(SEPARATOR)) || value.length > LIMITS.buttonValue) {
    throw new Error(`cannot encode a button value from ${parts.length} ids`);
  }
  return value;
}

/** Value of a claim toggle: report id and claim id. */
export function claimValue(reportId: string, claimId: string): string {
  return encode([reportId, claimId]);
}

/** Value of a page button: report id and the page to show (0-based). */
export function pageValue(reportId: string, page: number): string {
  return encode([reportId, String(page)]);
}

/** Reads a claim toggle's value. */
export function parseClaimValue(value: unknown): { reportId: string; claimId: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const [reportId, claimId, extra] = value.split(SEPARATOR);
  return reportId && claimId && extra === undefined ? { reportId, claimId } : undefined;
}

/** Reads a page button's value. */
export function parsePageValue(value: unknown): { reportId: string; page: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const [reportId, page, extra] = value.split(SEPARATOR);
  if (!reportId || !page || extra !== undefined || !/^\d{1,4}$/.test(page)) return undefined;
  return { reportId, page: Number(page) };
}
