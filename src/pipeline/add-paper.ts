/**
 * Adding one paper to a report (the thread command `add <id>`, `synthesize add --report F <id>`), and
 * saying what that changed.
 *
 * `addPaper(report, paper, options)` runs the report's own question again through the whole pipeline
 * (plan, screen, extract with the verbatim-quote checks, verify, review, compose, the invariants of
 * `invariants.ts`) over the report's papers (their abstracts travel in `references[].abstract`, as for
 * a follow-up) plus the new one, held in a second in-memory source named `added`. So the new paper's
 * findings can become claims and every claim is verified again against the enlarged set. The new report
 * is tagged `addition: { of, paper, requested?, source? }` and says so first in its limitations; it is a
 * report of its own (new id), so the original's own tags (`followUp`, `revision`, `feedback` on its
 * answer) are not copied: `addition.of` leads back to it.
 *
 * It returns the report the thread should now show and a {@link ReportDiff}: new claims, claims whose
 * verdict or confidence moved (before → after), claims the added paper now bears on, claims that
 * disappeared, whether the answer moved. Claims are matched across the two reports by their paper and
 * verbatim quote (ids are renumbered by every run); extra fields a claim carries (the team's flags) go
 * over to its match. `describeChanges(diff)` puts the diff in plain sentences for the chat.
 *
 * Nothing is re-run, and the report comes back unchanged, when the paper is already in the report
 * (matched by id, DOI, arXiv id, PubMed id, OpenAlex or Semantic Scholar id, corpus id, or title and
 * year) or has no abstract to read; a paper that screening leaves out (it does not name what the
 * question is about) also leaves the report unchanged, and the diff says why.
 *
 * The re-run reads the report's papers afresh, so a claim can also change for reasons other than the
 * added paper (a paper's abstract is split into sentences again; the claim limit is shared); the diff
 * reports every change and marks which ones involve the added paper (its claims, its evidence).
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engines/engine.js';
import { SynthError } from '../errors.js';
import type { ProgressListener } from '../events.js';
import type { Logger } from '../logger.js';
import type { Addition, Answer, Claim, Paper, Reference, Report, Stance, Verdict } from '../model.js';
import { bottomLine } from '../render/bottom-line.js';
import { createMemorySource } from '../sources/memory.js';
import type { PaperId } from '../sources/paper-id.js';
import { cleanText, normalizeWhitespace } from '../text/sanitize.js';
import { paperSentences } from '../text/sentences.js';
import { THREAD_SOURCE, threadPapers } from './followup.js';
import { normalizeArxivId, normalizeDoi, normalizeTitle } from './merge.js';
import { createSynthesizer, DEFAULT_MAX_CLAIMS } from './synthesize.js';

/** Name of the in-memory source holding the added paper, as the new report's methodology shows it. */
export const ADDED_SOURCE = 'added';

/** Claims the re-run may state beyond the report's own count, so the added paper's findings need not push one out. */
export const ADDED_CLAIM_ROOM = 2;

/** A confidence change smaller than this is not a move (as a flag's re-verification counts it). */
const CONFIDENCE_STEP = 0.01;

/** Options of {@link addPaper}. */
export interface AddPaperOptions {
  /** The judgement engine (normally the one the report was made with). */
  engine: Engine;
  /**
   * Claims the re-run may state (default: the report's own claim count plus {@link ADDED_CLAIM_ROOM},
   * at least the pipeline's default of 8).
   */
  maxClaims?: number;
  /** The identifier as it was asked for, kept in `addition.requested` ("10.1056/…"). */
  requested?: string;
  /** Where the paper's record came from (`lookupPaper`'s `source`), kept in `addition.source`. */
  source?: string;
  onEvent?: ProgressListener | ProgressListener[];
  signal?: AbortSignal;
  /** Id of the new report (the job runner assigns it). */
  runId?: string;
  log?: Logger;
  now?: () => number;
  newId?: () => string;
  secrets?: readonly string[];
}

/** A claim's verdict and confidence at one moment. */
export interface ClaimState {
  verdict: Verdict;
  confidence: number;
}

/** A claim of the new report that the original did not have. */
export interface NewClaim {
  /** Its number in the new report (1-based, as "explain claim N" counts). */
  number: number;
  id: string;
  text: string;
  paperId: string;
  verdict: Verdict;
  confidence: number;
  /** True when it quotes the added paper. */
  fromAddedPaper: boolean;
}

/** A claim in both reports whose verdict or confidence moved. */
export interface MovedClaim {
  /** Its number in the new report. */
  number: number;
  /** Its number in the original report. */
  was: number;
  id: string;
  text: string;
  paperId: string;
  before: ClaimState;
  after: ClaimState;
  /** The stance of the added paper's evidence on it, when the added paper is among its evidence. */
  addedEvidence?: Stance;
}

/** A claim whose verdict held but which the added paper now supports or contradicts. */
export interface NewEvidence {
  number: number;
  id: string;
  stance: Stance;
}

/** A claim of the original report that the new one no longer has. */
export interface RemovedClaim {
  /** Its number in the original report. */
  number: number;
  id: string;
  text: string;
  paperId: string;
  verdict: Verdict;
  confidence: number;
}

/** The answer's bottom line before and after. */
export interface AnswerChange {
  before?: Pick<Answer, 'verdict' | 'confidence'>;
  after?: Pick<Answer, 'verdict' | 'confidence'>;
  moved: boolean;
}

/** What happened to the paper asked for. */
export interface AddedPaper {
  /** Its id (the reference id in the new report when added, or of the matching reference when already there). */
  id: string;
  title: string;
  /** Short label for a person: "Smith et al. 2021", or the title when there are no authors. */
  label: string;
  status: 'added' | 'already-included' | 'not-included';
  /** Its `[n]` in the report the thread now shows (new report when added, the original when already there). */
  reference?: number;
  /** Why it was not included. */
  reason?: 'no abstract' | 'off-topic' | 'duplicate';
  /** Where its record came from, when known. */
  source?: string;
}

/** What adding a paper changed; see {@link describeChanges}. */
export interface ReportDiff {
  /** The report the paper was added to. */
  of: string;
  /** The report the thread now shows (the new report's id, or `of` when nothing was re-run). */
  report: string;
  paper: AddedPaper;
  newClaims: NewClaim[];
  movedClaims: MovedClaim[];
  /** Claims whose verdict held but which the added paper now supports or contradicts. */
  newEvidence: NewEvidence[];
  removedClaims: RemovedClaim[];
  /** Claims in both reports that did not move. */
  unchangedClaims: number;
  answer: AnswerChange;
  /** References of the original report that are not in the new one (screened out on the re-run). */
  droppedPapers: string[];
}

/** What {@link addPaper} returns: the report the thread should now show, and what changed. */
export interface AddPaperResult {
  report: Report;
  diff: ReportDiff;
}

// ---------------------------------------------------------------------------------------------
// Which reference a paper or an identifier is.

const LIVE_PREFIXES = ['openalex', 'crossref', 'pubmed', 'arxiv', 's2'];

function keysOfReference(ref: Reference): Set<string> {
  const keys = new Set<string>([`id:${ref.id}`]);
  const colon = ref.id.indexOf(':');
  const prefix = colon > 0 ? ref.id.slice(0, colon) : '';
  const rest = colon > 0 ? ref.id.slice(colon + 1) : ref.id;
  if (prefix === 'openalex') keys.add(`openalex:${rest.toUpperCase()}`);
  else if (prefix === 'pubmed') keys.add(`pmid:${rest}`);
  else if (prefix === 'arxiv') keys.add(`arxiv:${normalizeArxivId(rest) ?? rest}`);
  else if (prefix === 's2') keys.add(`s2:${rest.toLowerCase()}`);
  else if (prefix === 'crossref') {
    const doi = normalizeDoi(rest);
    if (doi) keys.add(`doi:${doi}`);
  } else if (!LIVE_PREFIXES.includes(prefix)) keys.add(`corpus:${rest}`);
  const doi = normalizeDoi(ref.doi);
  if (doi) {
    keys.add(`doi:${doi}`);
    const arxiv = /^10\.48550\/arxiv\.(.+)$/.exec(doi)?.[1];
    if (arxiv && normalizeArxivId(arxiv)) keys.add(`arxiv:${normalizeArxivId(arxiv)}`);
  }
  const pmid = ref.url?.match(/pubmed\.ncbi\.nlm\.nih\.gov\/(\d+)/)?.[1];
  if (pmid) keys.add(`pmid:${pmid}`);
  const arxiv = ref.url?.match(/arxiv\.org\/abs\/(\S+)$/)?.[1];
  if (arxiv && normalizeArxivId(arxiv)) keys.add(`arxiv:${normalizeArxivId(arxiv)}`);
  return keys;
}

function keysOfPaper(paper: Paper): Set<string> {
  const keys = new Set<string>([`id:${paper.id}`]);
  const doi = normalizeDoi(paper.ids.doi ?? paper.doi);
  if (doi) keys.add(`doi:${doi}`);
  const arxiv = normalizeArxivId(paper.ids.arxiv) ?? (doi ? normalizeArxivId(/^10\.48550\/arxiv\.(.+)$/.exec(doi)?.[1]) : undefined);
  if (arxiv) keys.add(`arxiv:${arxiv}`);
  if (paper.ids.pmid) keys.add(`pmid:${paper.ids.pmid.trim()}`);
  if (paper.ids.openalex) keys.add(`openalex:${paper.ids.openalex.toUpperCase()}`);
  if (paper.ids.s2) keys.add(`s2:${paper.ids.s2.toLowerCase()}`);
  if (paper.ids.corpus) keys.add(`corpus:${paper.ids.corpus}`);
  return keys;
}

function keysOfId(id: PaperId): Set<string> {
  switch (id.kind) {
    case 'doi':
      return new Set([`doi:${id.value}`]);
    case 'arxiv':
      return new Set([`arxiv:${id.value}`, `doi:10.48550/arxiv.${id.value}`]);
    // A bare number is a PubMed id or a corpus paper's id (SciFact's are numbers), as the lookup reads it.
    case 'pmid':
      return new Set([`pmid:${id.value}`, `corpus:${id.value}`]);
    case 'openalex':
      return new Set([`openalex:${id.value.toUpperCase()}`]);
    case 's2':
      return new Set([`s2:${id.value.toLowerCase()}`]);
    case 'corpus':
      return new Set([`id:${id.value}`]);
    case 'title':
      return new Set();
  }
}

/** Titles of four words or more, folded, identify a paper when the years agree (as de-duplication reads them). */
function sameTitle(a: { title: string; year?: number | undefined }, b: { title: string; year?: number | undefined }): boolean {
  const ta = normalizeTitle(a.title);
  if (ta.split(' ').length < 4 || ta !== normalizeTitle(b.title)) return false;
  return a.year === undefined || b.year === undefined || a.year === b.year;
}

/**
 * The reference of `report` that is `paper` (a record from a lookup) or that an identifier names,
 * with its number (`[n]`); undefined when the report does not have it. Without a lookup, an
 * identifier is matched by what the references carry (their ids, DOIs and links, titles).
 */
export function findReference(report: Pick<Report, 'references'>, paper: Paper | PaperId): { reference: Reference; number: number } | undefined {
  const isId = 'kind' in paper;
  const wanted = isId ? keysOfId(paper) : keysOfPaper(paper);
  const index = report.references.findIndex((ref) => {
    const keys = keysOfReference(ref);
    if ([...wanted].some((k) => keys.has(k))) return true;
    if (isId) return paper.kind === 'title' && normalizeTitle(paper.value) !== '' && normalizeTitle(paper.value) === normalizeTitle(ref.title);
    return sameTitle(paper, ref);
  });
  return index < 0 ? undefined : { reference: report.references[index]!, number: index + 1 };
}

// ---------------------------------------------------------------------------------------------
// Adding.

/** Adds `paper` to `report`; see the module comment. Throws when the report carries no abstracts to re-run over. */
export async function addPaper(report: Report, paper: Paper, options: AddPaperOptions): Promise<AddPaperResult> {
  const existing = findReference(report, paper);
  if (existing) {
    const ref = existing.reference;
    return { report, diff: unchanged(report, { id: ref.id, title: ref.title, label: paperLabel(ref), status: 'already-included', reference: existing.number }) };
  }
  const papers = threadPapers(report);
  if (papers.length === 0 && report.references.length > 0) {
    throw new SynthError(
      'validation',
      `Report ${report.id} was saved without its papers' abstracts (reports made before they carried them), so its claims cannot be verified again with a paper added; run its question again instead.`,
    );
  }
  const about: Omit<AddedPaper, 'status'> = { id: paper.id, title: paper.title, label: paperLabel(paper), ...(options.source ? { source: options.source } : {}) };
  // Screening's own test for an abstract: a sentence of four words or more.
  if (paperSentences(paper).filter((s) => s.split(' ').length >= 4).length === 0) {
    return { report, diff: unchanged(report, { ...about, status: 'not-included', reason: 'no abstract' }) };
  }

  // The added paper is read as the thread's papers are (its abstract as text, not pre-split sentences),
  // so that later follow-ups, which read it from the report, see it the same way.
  const { sentences: _sentences, sourceScore: _score, ...added } = paper;
  const synthesize = createSynthesizer({
    sources: [createMemorySource(THREAD_SOURCE, papers), createMemorySource(ADDED_SOURCE, [added])],
    engine: options.engine,
    ...(options.log ? { log: options.log } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const runId = options.runId ?? (options.newId ?? randomUUID)();
  const run = await synthesize(
    {
      question: report.question,
      // Every paper that passes screening is included: the report's own and the added one.
      maxPapers: papers.length + 1,
      maxClaims: options.maxClaims ?? Math.max(DEFAULT_MAX_CLAIMS, report.claims.length + ADDED_CLAIM_ROOM),
    },
    { runId, ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.signal ? { signal: options.signal } : {}) },
  );
  const number = run.references.findIndex((r) => r.id === added.id) + 1;
  if (number === 0) {
    // Merged into one of the report's papers at de-duplication, or screened out.
    const reason = run.methodology.deduplicated < run.methodology.identified ? 'duplicate' : 'off-topic';
    return { report, diff: unchanged(report, { ...about, status: 'not-included', reason }) };
  }

  const requested = options.requested ? cleanText(options.requested).slice(0, 200) : '';
  const addition: Addition = {
    of: report.id,
    paper: added.id,
    ...(requested ? { requested } : {}),
    ...(options.source ? { source: options.source } : {}),
  };
  const asked = requested ? ` (asked for as "${requested}"${options.source ? `, fetched from ${options.source}` : ''})` : options.source ? ` (fetched from ${options.source})` : '';
  const note =
    `Paper [${number}] "${cleanText(paper.title)}" was added by hand to report ${report.id}${asked}: its question was run again over that report's ` +
    `${papers.length} paper(s) plus this one, and every claim verified again against them.`;
  const { claims, diff } = compare(report, run, added.id, { ...about, status: 'added', reference: number });
  return { report: { ...run, claims, addition, limitations: [note, ...run.limitations] }, diff };
}

/** The diff of an addition that changed nothing. */
function unchanged(report: Report, paper: AddedPaper): ReportDiff {
  return {
    of: report.id,
    report: report.id,
    paper,
    newClaims: [],
    movedClaims: [],
    newEvidence: [],
    removedClaims: [],
    unchangedClaims: report.claims.length,
    answer: { ...(report.answer ? { before: pick(report.answer), after: pick(report.answer) } : {}), moved: false },
    droppedPapers: [],
  };
}

const pick = (answer: Answer): Pick<Answer, 'verdict' | 'confidence'> => ({ verdict: answer.verdict, confidence: answer.confidence });
const claimKey = (claim: Pick<Claim, 'paperId' | 'quote'>) => `${claim.paperId}\u0000${normalizeWhitespace(claim.quote)}`;
const state = (claim: Claim): ClaimState => ({ verdict: claim.verification.verdict, confidence: claim.verification.confidence });

/** Matches the claims of the two reports and lists what changed; the new report's claims keep what their match carried beyond the claim itself (flags). */
function compare(before: Report, after: Report, addedId: string, paper: AddedPaper): { claims: Claim[]; diff: ReportDiff } {
  const old = new Map(before.claims.map((claim, i) => [claimKey(claim), { claim, number: i + 1 }]));
  const matched = new Set<string>();
  const newClaims: NewClaim[] = [];
  const movedClaims: MovedClaim[] = [];
  const newEvidence: NewEvidence[] = [];
  let unchangedClaims = 0;
  const claims = after.claims.map((claim, i) => {
    const number = i + 1;
    const key = claimKey(claim);
    const was = old.get(key);
    const { verdict, confidence } = claim.verification;
    if (!was) {
      newClaims.push({ number, id: claim.id, text: claim.text, paperId: claim.paperId, verdict, confidence, fromAddedPaper: claim.paperId === addedId });
      return claim;
    }
    matched.add(key);
    const stance = claim.verification.evidence.find((e) => e.paperId === addedId)?.stance;
    const moved = was.claim.verification.verdict !== verdict || Math.abs(was.claim.verification.confidence - confidence) >= CONFIDENCE_STEP;
    if (moved) {
      movedClaims.push({ number, was: was.number, id: claim.id, text: claim.text, paperId: claim.paperId, before: state(was.claim), after: state(claim), ...(stance ? { addedEvidence: stance } : {}) });
    } else {
      unchangedClaims++;
      if (stance) newEvidence.push({ number, id: claim.id, stance });
    }
    const { id: _id, text: _text, paperId: _paperId, quote: _quote, verification: _verification, ...extra } = was.claim;
    return { ...extra, ...claim };
  });
  const removedClaims: RemovedClaim[] = before.claims.flatMap((claim, i) =>
    matched.has(claimKey(claim))
      ? []
      : [{ number: i + 1, id: claim.id, text: claim.text, paperId: claim.paperId, verdict: claim.verification.verdict, confidence: claim.verification.confidence }],
  );
  const kept = new Set(after.references.map((r) => r.id));
  const answer: AnswerChange = {
    ...(before.answer ? { before: pick(before.answer) } : {}),
    ...(after.answer ? { after: pick(after.answer) } : {}),
    moved: before.answer?.verdict !== after.answer?.verdict || before.answer?.confidence !== after.answer?.confidence,
  };
  return {
    claims,
    diff: {
      of: before.id,
      report: after.id,
      paper,
      newClaims,
      movedClaims,
      newEvidence,
      removedClaims,
      unchangedClaims,
      answer,
      droppedPapers: before.references.filter((r) => !kept.has(r.id)).map((r) => r.id),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Saying it.

/** A person's surname from "Given Family" or "Family, Given"; a collective name stays whole. */
function surname(name: string): string {
  const trimmed = name.trim();
  if (trimmed.includes(',')) return trimmed.slice(0, trimmed.indexOf(',')).trim();
  const words = trimmed.split(/\s+/);
  return words.length > 3 ? trimmed : words[words.length - 1]!;
}

/** "Smith 2021", "Smith et al. 2021", or the title (cut at 80 characters) when there are no authors. */
export function paperLabel(paper: { title: string; authors: readonly string[]; year?: number | undefined }): string {
  // Text from a database, on its way to a chat: no live mentions, no control characters.
  const first = paper.authors.map(cleanText).find((a) => a.length > 0);
  const year = paper.year !== undefined ? ` ${paper.year}` : '';
  if (first) return `${surname(first)}${paper.authors.length > 1 ? ' et al.' : ''}${year}`;
  const whole = cleanText(paper.title).replace(/[.\s]+$/, '');
  const title = whole.length > 80 ? `${whole.slice(0, 80).replace(/\s+\S*$/, '')}…` : whole;
  return `“${title || 'untitled'}”${year ? ` (${paper.year})` : ''}`;
}

/** "yes (medium confidence)", "insufficient evidence", "a synthesis (not a yes/no question)". */
function answerWords(answer: Pick<Answer, 'verdict' | 'confidence'>): string {
  if (answer.verdict === 'not-applicable') return 'a synthesis (not a yes/no question)';
  const line = bottomLine({ ...answer, basis: [], text: '' })!;
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/** "2", "2 and 5", "2, 5 and 7". */
function numbers(items: readonly number[]): string {
  return items.length <= 1 ? String(items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What an addition changed, in plain sentences for the chat (no markup; the caller escapes for its
 * platform): "Added [14] Smith et al. 2021. 2 new claims (claims 9 and 10, from the added paper);
 * claim 3 moved from supported to contradicted (the added paper contradicts it); the answer is
 * unchanged: yes (medium confidence)." Claim numbers are those of the new report, as "explain claim
 * N" counts them (a claim whose number changed says what it was); a claim that disappeared is named by
 * its number in the earlier report.
 */
export function describeChanges(diff: ReportDiff): string {
  const p = diff.paper;
  const cited = `${p.reference !== undefined ? `[${p.reference}] ` : ''}${p.label}`;
  if (p.status === 'already-included') return `${cited} is already in the report; nothing was re-run.`;
  if (p.status === 'not-included') {
    const from = p.source ? ` in ${p.source}` : '';
    if (p.reason === 'no abstract') return `${cited} has no abstract${from}, so it cannot add claims or evidence; the report is unchanged.`;
    if (p.reason === 'duplicate') return `${cited} is the same paper as one already in the report; the report is unchanged.`;
    return `${cited} was not included: screening found it off the question's topic (it does not name what the question is about), so the report is unchanged.`;
  }

  const parts: string[] = [];
  const fromAdded = diff.newClaims.filter((c) => c.fromAddedPaper).length;
  const others = diff.movedClaims.length + diff.newEvidence.length + diff.removedClaims.length;
  if (diff.newClaims.length === 0) parts.push(others === 0 ? 'no claim changed' : 'no new claim');
  else {
    const which = `claim${diff.newClaims.length === 1 ? '' : 's'} ${numbers(diff.newClaims.map((c) => c.number))}`;
    const origin =
      fromAdded === diff.newClaims.length
        ? 'from the added paper'
        : fromAdded === 0
          ? 'from the report\u2019s own papers'
          : `${fromAdded} from the added paper`;
    parts.push(`${plural(diff.newClaims.length, 'new claim')} (${which}, ${origin})`);
  }
  for (const c of diff.movedClaims) {
    const name = `claim ${c.number}${c.was !== c.number ? ` (was claim ${c.was})` : ''}`;
    const why = c.addedEvidence ? ` (the added paper ${c.addedEvidence === 'supports' ? 'supports' : 'contradicts'} it)` : '';
    parts.push(
      c.before.verdict !== c.after.verdict
        ? `${name} moved from ${c.before.verdict} to ${c.after.verdict}${why}`
        : `${name} stayed ${c.after.verdict}, its confidence moving from ${c.before.confidence.toFixed(2)} to ${c.after.confidence.toFixed(2)}${why}`,
    );
  }
  for (const e of diff.newEvidence) parts.push(`the added paper ${e.stance === 'supports' ? 'supports' : 'contradicts'} claim ${e.number}`);
  if (diff.removedClaims.length > 0) {
    parts.push(`earlier claim${diff.removedClaims.length === 1 ? '' : 's'} ${numbers(diff.removedClaims.map((c) => c.number))} dropped out`);
  }
  if (others === 0 && diff.newClaims.length > 0) parts.push('no other claim changed');
  const { before, after } = diff.answer;
  if (after) {
    parts.push(
      !diff.answer.moved || !before
        ? `the answer ${before ? 'is unchanged' : 'is'}: ${answerWords(after)}`
        : `the answer moved from ${answerWords(before)} to ${answerWords(after)}`,
    );
  }
  const body = parts.join('; ');
  const dropped =
    diff.droppedPapers.length > 0
      ? ` ${plural(diff.droppedPapers.length, 'paper')} of the report did not pass screening again and ${diff.droppedPapers.length === 1 ? 'is' : 'are'} no longer included.`
      : '';
  return `Added ${cited}. ${body.charAt(0).toUpperCase()}${body.slice(1)}.${dropped}`;
}
