/**
 * The team's say on a report: a flag on a claim (who, when, why) re-verifies that claim against all of
 * the report's papers, nothing left out, and records its verdict before and after; a thumbs up or down
 * on the answer is kept, one per person. Both return a new report; the caller stores it.
 */
import { SynthError } from '../errors.js';
import type { Engine, StageContext } from '../engines/engine.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Claim, Feedback, Flag, Report } from '../model.js';
import { threadPapers } from './followup.js';
import { reconcileVerification } from './invariants.js';

/** What flagging did. */
export interface FlagResult {
  report: Report;
  claim: Claim;
  /** The flag as stored. */
  flag: Flag;
}

/**
 * Flags a claim and re-verifies it against every paper of the report (the claim's own paper excepted,
 * as in a run). One flag per person and claim: flagging again replaces the earlier one. A report saved
 * before references carried abstracts cannot be re-verified; the flag is kept and says so (no
 * `reverified`).
 */
export async function flagClaim(report: Report, claimId: string, flag: Omit<Flag, 'reverified'>, options: { engine: Engine; log?: Logger; signal?: AbortSignal }): Promise<FlagResult> {
  const index = report.claims.findIndex((c) => c.id === claimId);
  if (index < 0) throw new SynthError('usage', `This report has no claim ${claimId}.`);
  const claim = report.claims[index]!;
  const papers = threadPapers(report);
  let verification = claim.verification;
  let stored: Flag = { ...flag };
  if (papers.length > 0) {
    const ctx: StageContext = {
      signal: options.signal ?? new AbortController().signal,
      log: options.log ?? silentLogger,
      emit: () => undefined,
      warn: () => undefined,
    };
    const raw = await options.engine.verify({ question: report.question, claim, papers }, ctx);
    verification = reconcileVerification(raw, claim, new Map(papers.map((p) => [p.id, p]))).verification;
    stored = {
      ...flag,
      reverified: {
        before: { verdict: claim.verification.verdict, confidence: claim.verification.confidence },
        after: { verdict: verification.verdict, confidence: verification.confidence },
      },
    };
  }
  const flags = [...(claim.flags ?? []).filter((f) => !(f.by === flag.by && f.platform === flag.platform)), stored];
  const updated: Claim = { ...claim, verification, flags };
  const claims = report.claims.map((c, i) => (i === index ? updated : c));
  return { report: { ...report, claims }, claim: updated, flag: stored };
}

/** Records a thumbs up or down on the answer; a person's later vote replaces their earlier one. */
export function voteOnAnswer(report: Report, feedback: Feedback): Report {
  const kept = (report.feedback ?? []).filter((f) => !(f.by === feedback.by && f.platform === feedback.platform));
  return { ...report, feedback: [...kept, feedback] };
}

/** "supported (0.82)" */
const state = (v: { verdict: string; confidence: number }) => `${v.verdict} (${v.confidence.toFixed(2)})`;

/** One plain sentence on what a flag's re-verification found, for the thread. */
export function describeReverification(flag: Flag, papers: number): string {
  if (!flag.reverified) return 'This report was saved without its papers\u2019 text, so the claim could not be re-verified; the flag is recorded.';
  const { before, after } = flag.reverified;
  const moved = before.verdict !== after.verdict || Math.abs(before.confidence - after.confidence) >= 0.01;
  return `Re-verified against the thread\u2019s ${papers} ${papers === 1 ? 'paper' : 'papers'}: ${moved ? `${state(before)} \u2192 ${state(after)}` : `unchanged, ${state(after)}`}.`;
}
