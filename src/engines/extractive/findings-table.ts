/**
 * The findings table of a report: the numbers each claim's sentence reports (`findings.ts`), with the
 * question's exposure and compared things as subject hints, and what they say about scaling when one
 * subject is reported at several sizes (two papers that disagree about the same step are named).
 */
import type { Facets } from '../engine.js';
import type { Claim, Finding } from '../../model.js';
import { compareScaling, extractFindings, scalingDisagreements } from './findings.js';

/** Reads the numbers each claim's sentence reports. */
export function buildFindings(claims: readonly Claim[], facets: Facets | undefined, titles: ReadonlyMap<string, string> = new Map()): Finding[] {
  const hints = facets ? [...facets.compared.flat(), ...facets.exposure] : [];
  return claims.flatMap((c) =>
    extractFindings({ paperId: c.paperId, sentence: c.quote, subjectHints: hints, ...(titles.has(c.paperId) ? { title: titles.get(c.paperId)! } : {}) }).map((f) => ({
      ...f,
      quote: c.quote,
    })),
  );
}

/** One sentence on how a measure changes with size across the findings, or '' when none do. */
export function describeScaling(findings: readonly Finding[], cite: (paperId: string) => string): string {
  const series = compareScaling(findings);
  if (series.length === 0) return '';
  const parts = series.slice(0, 3).map((s) => {
    const first = s.points[0]!;
    const last = s.points.at(-1)!;
    return `${s.subject} ${s.measure}${s.condition ? ` on ${s.condition}` : ''} ${first.size} ${first.finding.value} → ${last.size} ${last.finding.value} ${cite(s.paperId)}`;
  });
  const conflicts = scalingDisagreements(series).slice(0, 2).map(
    (d) =>
      `the papers disagree on ${d.subject} ${d.measure} from ${d.from} to ${d.to}: ${describeStep(d.a.step)} ${cite(d.a.paperId)} against ${describeStep(d.b.step)} ${cite(d.b.paperId)}`,
  );
  return `${parts.join('; ')}${conflicts.length ? `; ${conflicts.join('; ')}` : ''}.`;
}

function describeStep(step: { change: 'up' | 'down' | 'none'; delta: number }): string {
  return step.change === 'none' ? 'no gain' : `${step.change === 'up' ? 'a gain' : 'a drop'} of ${Math.abs(Math.round(step.delta * 10) / 10)}`;
}
