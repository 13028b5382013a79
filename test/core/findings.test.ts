import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareScaling, extractFindings, scalingDisagreements } from '../../src/engines/extractive/findings.js';
import { leadingNumber, parseModelSize } from '../../src/engines/extractive/findings-scaling.js';
import type { Finding, Paper } from '../../src/model.js';
import { checkFindings } from '../../src/pipeline/invariants.js';
import { renderFindingsTable } from '../../src/render/findings.js';
import { readCorpusFile } from '../../src/sources/corpus.js';
import { paperSentences } from '../../src/text/sentences.js';
import { FIXTURES, SCIFACT, SHARED_DATA } from '../helpers/paths.js';

// Real SciFact abstracts, read at test time (never copied into the repository).
let scifact: Map<string, Paper>;
beforeAll(async () => {
  const { papers } = await readCorpusFile(SCIFACT.corpus);
  scifact = new Map(papers.map((p) => [p.ids.corpus ?? p.id, p]));
}, 60_000);

/** The SciFact sentence of paper `docId` that contains `fragment`, verbatim. */
function sentenceOf(docId: string, fragment: string): { paper: Paper; sentence: string } {
  const paper = scifact.get(docId);
  if (!paper) throw new Error(`SciFact paper ${docId} not found`);
  const sentence = paperSentences(paper).find((s) => s.includes(fragment));
  if (!sentence) throw new Error(`no sentence with "${fragment}" in ${docId}`);
  return { paper, sentence };
}

/** Findings of a SciFact sentence, after the core's verbatim check (which must keep every one). */
function fromScifact(docId: string, fragment: string, hints?: string[]): Finding[] {
  const { paper, sentence } = sentenceOf(docId, fragment);
  const findings = extractFindings({ paperId: paper.id, sentence, title: paper.title, ...(hints ? { subjectHints: hints } : {}) });
  const checked = checkFindings(findings, new Map([[paper.id, paper]]));
  expect(checked.dropped).toBe(0);
  for (const f of findings) expect(sentence).toContain(f.value);
  return findings;
}

const pick = (f: Finding) => ({ subject: f.subject, measure: f.measure, value: f.value });

describe('extractFindings on SciFact sentences', () => {
  it('reads odds ratios with their intervals, one per outcome, for the treatment named', () => {
    const found = fromScifact('5698494', 'Treatment with statins significantly reduced');
    expect(found.map(pick)).toEqual([
      { subject: 'statins', measure: 'all cause mortality (odds ratio)', value: '0.88, 95% confidence interval 0.81 to 0.96' },
      { subject: 'statins', measure: 'major coronary events (odds ratio)', value: '0.70, 0.61 to 0.81' },
      { subject: 'statins', measure: 'major cerebrovascular events (odds ratio)', value: '0.81, 0.71 to 0.93' },
    ]);
  });

  it('reads relative risks per drug and attaches each p-value to the ratio it follows', () => {
    const found = fromScifact('26000593', 'RR=0.81');
    expect(found.map(pick)).toEqual([
      { subject: 'alendronate', measure: 'relative risk of non-vertebral fracture', value: '0.86; 95% CI: 0.76–0.97' },
      { subject: 'risedronate', measure: 'relative risk of non-vertebral fracture', value: '0.81; 95% CI: 0.71–0.92' },
    ]);
    expect(found.map((f) => f.condition)).toEqual(['P =0.012', 'P =0.001']);
  });

  it('reads a relative reduction with what was reduced', () => {
    const [f, ...rest] = fromScifact('79231308', 'by 41%');
    expect(rest).toEqual([]);
    expect(pick(f!)).toEqual({ subject: 'computer alert', measure: 'risk of deep vein thrombosis or pulmonary embolism (reduction)', value: '41%' });
  });

  it('keeps a percentage with its interval, dose, duration and p-value, and the groups\' rates beside it', () => {
    const found = fromScifact('19878070', 'decreased the cumulative incidence', ['risedronate']);
    expect(found.map(pick)).toEqual([
      { subject: 'risedronate', measure: 'cumulative incidence of new vertebral fractures (reduction)', value: '41 % (95% confidence interval [CI], 18%-58%)' },
      { subject: 'risedronate vs placebo', measure: 'cumulative incidence of new vertebral fractures', value: '11.3 % vs 16.3%' },
    ]);
    expect(found[0]!.condition).toBe('5 mg/d; 3 years');
    expect(found[1]!.condition).toContain('P= .003');
  });

  it('reads sample sizes but not the age limit or the dates of the trial', () => {
    const found = fromScifact('19878070', 'trial of 2458 ambulatory');
    expect(found.map(pick)).toEqual([{ subject: 'ambulatory postmenopausal women', measure: 'sample size', value: '2458' }]);
  });

  it('skips ages in inclusion criteria', () => {
    const found = fromScifact('46565020', 'aged 50 to 85 years');
    expect(found.map((f) => f.value)).toEqual(['300', '72']);
    expect(found.every((f) => f.measure === 'sample size' && f.subject === 'patients')).toBe(true);
  });

  it('reads hazard ratios for each group a clause names', () => {
    const found = fromScifact('16422880', 'The HR for light smokers');
    expect(found.map((f) => [f.subject, f.value])).toEqual([
      ['light smokers', '0.44 (95% CI, 0.35-0.56)'],
      ['quitters', '0.50 (95% CI, 0.36-0.69)'],
      ['stable ex-smokers', '0.17 (95% CI, 0.13-0.23)'],
      ['never smokers', '0.09 (95% CI, 0.06-0.13)'],
    ]);
    expect(new Set(found.map((f) => f.measure))).toEqual(new Set(['hazard ratio']));
  });

  it('reads means ± SD, a whole "vs" chain with its unit, and n = counts', () => {
    expect(fromScifact('2276126', 'medications per patient').map((f) => [f.measure, f.value])).toEqual([['mean number of medications per patient', '8.62 ± 7.54']]);
    const bmi = fromScifact('5262240', 'higher BMI');
    expect(bmi.map((f) => [f.measure, f.value, f.condition])).toEqual([['higher BMI', '31.0 ± 5.2 vs. 25.9 ± 3.3 vs. 25.2 ± 3.1 kg/m²', 'P = 0.02']]);
    const corin = fromScifact('5993745', '(n=73)');
    expect(corin.map(pick)).toEqual([{ subject: 'patients with acute myocardial infarction', measure: 'sample size', value: 'n=73' }]);
  });
});

describe('extractFindings on written sentences', () => {
  const read = (sentence: string, extra: { title?: string; subjectHints?: string[] } = {}) => extractFindings({ paperId: 'x', sentence, ...extra });

  it('reads HR (95% CI, a-b) with the dose and duration as its condition', () => {
    const [f] = read('Alendronate 70 mg weekly lowered the hazard of hip fracture over 3 years, HR 0.59 (95% CI, 0.43-0.82), compared with placebo.');
    expect(f).toMatchObject({ subject: 'Alendronate', measure: 'hazard of hip fracture (hazard ratio)', value: '0.59 (95% CI, 0.43-0.82)', condition: '70 mg weekly; 3 years' });
  });

  it('keeps a p-value in scientific notation whole, never cut to its mantissa', () => {
    const sentence =
      'Regular use of aspirin and/or NSAIDs was associated with lower risk of colorectal cancer (prevalence, 28% vs 38%; odds ratio [OR], 0.69 [95% CI, 0.64-0.74]; P = 6.2 × 10(-28)) compared with nonregular use.';
    const conditions = extractFindings({ paperId: 'p', sentence }).map((f) => f.condition ?? '');
    expect(conditions.some((c) => c.includes('P = 6.2 × 10(-28)'))).toBe(true);
    expect(conditions.some((c) => /P = 6\.2(?! ×)/.test(c))).toBe(false);
    const e = extractFindings({ paperId: 'p', sentence: 'The variant raised the risk of asthma (OR 1.31, 95% CI 1.20-1.43, P = 3e-9).' });
    expect(e.map((f) => f.condition ?? '').join(' ')).toContain('P = 3e-9');
  });

  it('gives several scores of one sentence their own benchmark', () => {
    const found = read('Code Llama reaches 53.7% on HumanEval and 56.2% on MBPP.');
    expect(found.map((f) => [f.subject, f.value, f.condition])).toEqual([
      ['Code Llama', '53.7%', 'HumanEval'],
      ['Code Llama', '56.2%', 'MBPP'],
    ]);
  });

  it('names "the 70B model" from the title and reads a metric after or before its value', () => {
    const title = 'Code Llama: open foundation models for code';
    expect(read('The 70B model reaches a pass@1 of 44.0% on BigCodeBench.', { title }).map(pick)).toEqual([{ subject: 'Code Llama 70B', measure: 'pass@1', value: '44.0%' }]);
    expect(read('The model achieves an accuracy of 81.2% on the held-out set.', { title }).map(pick)).toEqual([{ subject: 'Code Llama', measure: 'accuracy', value: '81.2%' }]);
    expect(read('Scores rise to 44.0 pass@1 on BigCodeBench for the 70B model.', { subjectHints: ['Code Llama'], title }).map((f) => f.subject)).toEqual(['Code Llama 70B']);
    // Without a title, a hint names the family; a metric or benchmark among the hints never does.
    const hinted = read('The 70B model reaches a pass@1 of 44.0% on BigCodeBench.', { subjectHints: ['pass@1', 'BigCodeBench', 'Code Llama'], title: 'Scaling Code Llama on realistic tasks' });
    expect(hinted.map((f) => [f.subject, f.condition])).toEqual([['Code Llama 70B', 'BigCodeBench']]);
    expect(read('The 70B model reaches a pass@1 of 44.0% on BigCodeBench.', { title: 'BigCodeBench: a benchmark' }).map((f) => f.subject)).toEqual(['70B model']);
  });

  it('pairs a list of sizes with a list of values in order', () => {
    const found = read('On BigCodeBench-Complete, CodeLlama-7B, 13B, 34B and 70B reach a pass@1 of 28.7%, 32.0%, 37.1% and 44.0% respectively.');
    expect(found.map((f) => [f.subject, f.value])).toEqual([
      ['CodeLlama-7B', '28.7%'],
      ['CodeLlama 13B', '32.0%'],
      ['CodeLlama 34B', '37.1%'],
      ['CodeLlama 70B', '44.0%'],
    ]);
    expect(new Set(found.map((f) => f.condition))).toEqual(new Set(['BigCodeBench-Complete']));
  });

  it('does not take years, citation markers, section numbers or ages as findings', () => {
    expect(read('As shown in Table 2, results from 2019 were similar to those of Section 3.2 [12].')).toEqual([]);
    expect(read('Between December 1993 and January 1998 we enrolled women aged 50 to 85 years.')).toEqual([]);
    expect(read('Participants were 65 years or older and were followed from 2005 to 2010.')).toEqual([]);
    expect(read('The 95% confidence interval was computed by bootstrap.')).toEqual([]);
    // Each of these has a number shaped like a result inside the span that must be skipped.
    expect(read('Between 2005 and 2010 women in the cohort were screened as described in Section 2 patients.')).toEqual([]);
    const pcos = fromScifact('11090688', 'aged 30.7 ± 7.0');
    expect(pcos.map((f) => f.value)).toEqual(['38.6 ± 5.3 kg/m2']);
    expect(fromScifact('947631', 'mean age 58.3').map((f) => [f.subject, f.value])).toEqual([['patients', '49'], ['men', '32'], ['women', '17']]);
  });
});

describe('scaling across model sizes', () => {
  let findings: Finding[];
  beforeAll(async () => {
    const { papers, problems } = await readCorpusFile(join(FIXTURES, 'corpus/code-llm.jsonl'));
    expect(problems).toEqual([]);
    expect(papers).toHaveLength(12);
    findings = papers.flatMap((p) =>
      paperSentences(p).flatMap((sentence) => extractFindings({ paperId: p.ids.corpus!, sentence, title: p.title, subjectHints: ['Code Llama', 'BigCodeBench'] })),
    );
  });

  it('orders each paper\'s values by size and says which way each step goes', () => {
    const series = compareScaling(findings);
    const humanEval = series.find((s) => s.paperId === 'code-llama' && s.condition === 'HumanEval')!;
    expect(humanEval.subject).toBe('Code Llama');
    expect(humanEval.points.map((p) => [p.size, p.value])).toEqual([['7B', 33.5], ['13B', 36], ['34B', 48.8], ['70B', 53]]);
    expect(humanEval.steps.map((s) => s.change)).toEqual(['up', 'up', 'up']);
    const flat = series.find((s) => s.paperId === 'scaling-flat')!;
    expect(flat.steps).toEqual([{ from: '34B', to: '70B', fromValue: 37.1, toValue: 37.1, change: 'none', delta: 0 }]);
    const gain = series.find((s) => s.paperId === 'scaling-gain')!;
    expect(gain.steps[0]).toMatchObject({ from: '34B', to: '70B', change: 'up', delta: 6.9 });
  });

  it('finds the two papers that disagree about 34B → 70B on BigCodeBench, and only them', () => {
    const disagreements = scalingDisagreements(compareScaling(findings));
    expect(disagreements.map((d) => [d.subject, d.condition ?? '', d.from, d.to, d.a.paperId, d.a.step.change, d.b.paperId, d.b.step.change])).toEqual([
      ['CodeLlama', 'BigCodeBench', '34B', '70B', 'scaling-gain', 'up', 'scaling-flat', 'none'],
    ]);
  });

  it("matches the leaderboard's CodeLlama figures in the fixture's BigCodeBench paper", async () => {
    const results = JSON.parse(await readFile(join(SHARED_DATA, 'bigcodebench/results.json'), 'utf8')) as Record<string, { 'pass@1': { complete: number | null } }>;
    const series = compareScaling(findings).find((s) => s.paperId === 'bigcodebench' && s.subject === 'CodeLlama')!;
    expect(series.points.map((p) => p.value)).toEqual(['7B', '13B', '34B', '70B'].map((size) => results[`CodeLlama-${size}-Base`]!['pass@1'].complete));
  });

  it('parses sizes generically and treats near-equal values as flat', () => {
    expect(parseModelSize('Qwen2.5-Coder 1.5B')).toEqual({ family: 'Qwen2.5-Coder', size: '1.5B', parameters: 1.5e9 });
    expect(parseModelSize('CodeLlama-70B-Instruct')).toMatchObject({ family: 'CodeLlama Instruct', size: '70B' });
    expect(parseModelSize('statins')).toBeUndefined();
    expect(leadingNumber('57·8% (95% CI 56·6-58·8)')).toBe(57.8);
    const f = (subject: string, value: string): Finding => ({ paperId: 'p', subject, measure: 'pass@1', value });
    const [s] = compareScaling([f('Tiny 1.5B', '20.4%'), f('Tiny 500M', '12.0%'), f('Tiny 7B', '20.6%'), f('Tiny 13B', '18.0%')]);
    expect(s!.steps.map((x) => [x.from, x.to, x.change])).toEqual([['500M', '1.5B', 'up'], ['1.5B', '7B', 'none'], ['7B', '13B', 'down']]);
  });
});

describe('renderFindingsTable', () => {
  it('renders a row per finding, escaping every string taken from a paper', () => {
    const lines = renderFindingsTable(
      [{ paperId: 'p1', subject: 'Model | <b>X</b>', measure: '*pass@1*', value: '44.0%', condition: 'Bench_<i>' }],
      (id) => `[${id === 'p1' ? 1 : 0}]`,
    );
    expect(lines).toEqual([
      '| Subject | Measure | Value | Condition | Source |',
      '|---|---|---|---|---|',
      '| Model \\| \\<b\\>X\\</b\\> | \\*pass@1\\* | 44.0% | Bench\\_\\<i\\> | [1] |',
    ]);
  });

  it('renders nothing for no findings', () => {
    expect(renderFindingsTable([], () => '[1]')).toEqual([]);
  });
});
