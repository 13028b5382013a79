/** Small formatting pieces shared by the Discord renderers: verdicts, citations, reference lines. */
import type { Claim, Reference, Report } from '../../src/model.js';
import { confidenceWords } from '../shared/glance.js';
import { referenceLink } from '../shared/reference-link.js';
import { escapeDiscord, truncateWords } from './text.js';

/** Emoji and word for each verdict; the word is always shown, so colour or emoji is never the only cue. */
export const VERDICT: Record<Claim['verification']['verdict'], { emoji: string; label: string }> = {
  supported: { emoji: '✅', label: 'supported' },
  contradicted: { emoji: '❌', label: 'contradicted' },
  insufficient: { emoji: '❔', label: 'insufficient evidence' },
};

/** `[n]` numbers of a report's references, in the order they are listed. */
export function referenceNumbers(report: Report): Map<string, number> {
  return new Map(report.references.map((r, i) => [r.id, i + 1]));
}

/** A link to a paper: DOI, URL, PubMed, arXiv, … (see `referenceLink`), when it has one. */
export function paperLink(ref: Reference | undefined): string | undefined {
  const link = referenceLink(ref);
  // Inside `<…>` a space or `>` would end the link.
  return link && !/[\s<>]/.test(link) ? link : undefined;
}

/**
 * One reference as a line: `[n] Title (year) <link>` with the title escaped and shortened; a paper
 * without a link (a local corpus) shows its id instead: `[n] Title (2012) · scifact:4983`.
 */
export function referenceLine(ref: Reference, n: number, titleMax = 120): string {
  const link = paperLink(ref);
  const year = ref.year ? ` (${ref.year})` : '';
  // <url> suppresses Discord's link preview.
  const where = link ? ` <${link}>` : ` · ${truncateWords(escapeDiscord(ref.id), 80)}`;
  return `[${n}] ${truncateWords(escapeDiscord(ref.title), titleMax)}${year}${where}`;
}

/** A claim's confidence in words, as the claim lists show it: `high confidence`. */
export function confidenceLabel(confidence: number): string {
  return `${confidenceWords(confidence)} confidence`;
}

/** A confidence as a claim's detail shows it: two decimals. */
export function formatConfidence(confidence: number): string {
  return confidence.toFixed(2);
}

/** `0.3 s`, `12 s`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
