/**
 * How a reported quantity changes with model size: findings about one model family at several sizes
 * (`Code Llama 7B` … `Code Llama 70B`) ordered by size, with the direction of each step, so a report
 * can say "7B 28.7% → 70B 44.0% (paper X) vs no gain 34B→70B (paper Y)".
 */
import type { Finding } from '../../model.js';

/** One step between consecutive sizes. `change` is `none` when the values differ by at most the tolerance. */
export interface ScalingStep {
  from: string;
  to: string;
  fromValue: number;
  toValue: number;
  change: 'up' | 'down' | 'none';
  /** `toValue - fromValue`, in the measure's units (percentage points for a percentage). */
  delta: number;
}

/** One paper's values of one measure for one model family, ordered by size. */
export interface ScalingSeries {
  paperId: string;
  /** The family without its size (`Code Llama`, `CodeLlama Instruct`). */
  subject: string;
  measure: string;
  condition?: string;
  points: { size: string; parameters: number; value: number; finding: Finding }[];
  steps: ScalingStep[];
}

/** Two papers that report a different direction for the same step of the same quantity. */
export interface ScalingDisagreement {
  subject: string;
  measure: string;
  condition?: string;
  from: string;
  to: string;
  a: { paperId: string; step: ScalingStep };
  b: { paperId: string; step: ScalingStep };
}

/** Options of {@link compareScaling}. */
export interface ScalingOptions {
  /** A step is `none` when |delta| is at most this share of the larger value (default 0.02, i.e. 2%). */
  relativeTolerance?: number;
}

const SIZE = /(?:^|[\s-])(\d+(?:\.\d+)?)\s?([BMK])(?=$|[\s-])/;
const UNIT: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9 };

/** `Code Llama 70B` → family `Code Llama`, size `70B`, 7e10 parameters; undefined without a size. */
export function parseModelSize(subject: string): { family: string; size: string; parameters: number } | undefined {
  const m = subject.match(SIZE);
  if (!m || m.index === undefined) return undefined;
  const start = m.index + (m[0].startsWith(' ') || m[0].startsWith('-') ? 1 : 0);
  const rest = subject.slice(start + m[0].trimStart().replace(/^-/, '').length).replace(/^[\s-]+/, '');
  const family = [subject.slice(0, start).replace(/[\s-]+$/, ''), rest].filter(Boolean).join(' ');
  return { family, size: `${m[1]}${m[2]}`, parameters: Number(m[1]) * UNIT[m[2]!]! };
}

/** The first number of a value (`44.0%` → 44, `0.88, 95% CI …` → 0.88, `57·8%` → 57.8). */
export function leadingNumber(value: string): number | undefined {
  const m = value.match(/[-−]?\d+(?:[.·]\d+)?/);
  return m ? Number(m[0].replace('·', '.').replace('−', '-')) : undefined;
}

// `Code Llama` and `CodeLlama` are one family; so are `pass@1` and `Pass@1`.
/** `Code Llama` and `CodeLlama`, `pass@1` and `Pass@1`: one name, compared without case, spaces or dashes. */
export const nameKey = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');
const key = nameKey;

/** True when two series measure the same quantity: one family, measure and condition. */
export function sameQuantity(a: ScalingSeries, b: ScalingSeries): boolean {
  return key(a.subject) === key(b.subject) && key(a.measure) === key(b.measure) && key(a.condition ?? '') === key(b.condition ?? '');
}

/** The first step (e.g. 34B→70B) that both series report, with each one's version of it. */
export function sharedStep(a: ScalingSeries, b: ScalingSeries): { a: ScalingStep; b: ScalingStep } | undefined {
  for (const sa of a.steps) {
    const sb = b.steps.find((s) => s.from === sa.from && s.to === sa.to);
    if (sb) return { a: sa, b: sb };
  }
  return undefined;
}

/**
 * Groups findings by paper, model family, measure and condition, orders each group by model size, and
 * says whether the value rises, falls or stays flat between consecutive sizes. Groups with fewer than
 * two sizes are left out; when one paper gives a size twice, its first value counts.
 */
export function compareScaling(findings: readonly Finding[], options: ScalingOptions = {}): ScalingSeries[] {
  const tolerance = options.relativeTolerance ?? 0.02;
  const groups = new Map<string, ScalingSeries>();
  for (const f of findings) {
    const size = parseModelSize(f.subject);
    const value = leadingNumber(f.value);
    if (!size || value === undefined || !size.family || /^models?$/i.test(size.family)) continue;
    const condition = f.condition?.split(';')[0]?.trim();
    const k = [f.paperId, key(size.family), key(f.measure), key(condition ?? '')].join('\u0000');
    let series = groups.get(k);
    if (!series) {
      series = { paperId: f.paperId, subject: size.family, measure: f.measure, ...(condition ? { condition } : {}), points: [], steps: [] };
      groups.set(k, series);
    }
    if (!series.points.some((p) => p.parameters === size.parameters)) series.points.push({ size: size.size, parameters: size.parameters, value, finding: f });
  }
  const out: ScalingSeries[] = [];
  for (const series of groups.values()) {
    if (series.points.length < 2) continue;
    series.points.sort((a, b) => a.parameters - b.parameters);
    series.steps = series.points.slice(1).map((p, i) => {
      const q = series.points[i]!;
      const delta = Math.round((p.value - q.value) * 1e6) / 1e6;
      const flat = Math.abs(delta) <= tolerance * Math.max(Math.abs(p.value), Math.abs(q.value));
      return { from: q.size, to: p.size, fromValue: q.value, toValue: p.value, change: flat ? 'none' : delta > 0 ? 'up' : 'down', delta };
    });
    out.push(series);
  }
  return out;
}

/**
 * Pairs of papers whose series for the same family, measure and condition disagree about the
 * direction of the same step (one reports a gain from 34B to 70B, the other none).
 */
export function scalingDisagreements(series: readonly ScalingSeries[]): ScalingDisagreement[] {
  const out: ScalingDisagreement[] = [];
  series.forEach((a, i) => {
    for (const b of series.slice(i + 1)) {
      if (a.paperId === b.paperId || !sameQuantity(a, b)) continue;
      for (const sa of a.steps) {
        const sb = b.steps.find((s) => s.from === sa.from && s.to === sa.to);
        if (sb && sb.change !== sa.change) {
          out.push({ subject: a.subject, measure: a.measure, ...(a.condition ? { condition: a.condition } : {}), from: sa.from, to: sa.to, a: { paperId: a.paperId, step: sa }, b: { paperId: b.paperId, step: sb } });
        }
      }
    }
  });
  return out;
}
