import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifySentenceRoles, parseSectionLabel, SENTENCE_ROLES } from '../../src/engines/extractive/roles.js';
import { isHeldOut, loadLabelledAbstracts, predictPairs, scorePairs } from '../../scripts/role-fit.js';
import { SCIFACT, SHARED_DATA } from '../helpers/paths.js';

const roles = (sentences: string[]): string[] => classifySentenceRoles(sentences).map((g) => g.role);

describe('parseSectionLabel', () => {
  it('maps SciFact and PubMed label forms to roles and strips them', () => {
    expect(parseSectionLabel('RESULTS Of the 32,441 samples, 12 were positive.')).toMatchObject({ roles: ['results'], text: 'Of the 32,441 samples, 12 were positive.' });
    expect(parseSectionLabel('DESIGN, SETTING, AND PARTICIPANTS Cohort study of 3000 adults.')?.roles).toEqual(['methods']);
    expect(parseSectionLabel('MAIN OUTCOME MEASURES Mortality at 1 year.')?.roles).toEqual(['methods']);
    expect(parseSectionLabel('CONCLUSIONS - Statins lower risk.')).toMatchObject({ roles: ['conclusions'], text: 'Statins lower risk.' });
    expect(parseSectionLabel('INTERPRETATION Early treatment helps.')?.roles).toEqual(['conclusions']);
    expect(parseSectionLabel('Conclusions: Early treatment helps.')?.roles).toEqual(['conclusions']);
    expect(parseSectionLabel('BackgroundIndividuals with substance use disorders are at risk.')).toMatchObject({ roles: ['background'], text: 'Individuals with substance use disorders are at risk.' });
    expect(parseSectionLabel('CONTEXT Obesity is common.')?.roles).toEqual(['background']);
    expect(parseSectionLabel('METHODS AND RESULTS We enrolled 300 patients.')?.roles).toEqual(['methods', 'results']);
    expect(parseSectionLabel('FUNDING National Institutes of Health.')?.roles).toEqual([]);
  });

  it('leaves prose that merely starts with a heading word alone', () => {
    expect(parseSectionLabel('Results of experimental studies have highlighted IL-23.')).toBeUndefined();
    expect(parseSectionLabel('Design of novel inhibitors remains hard.')).toBeUndefined();
    expect(parseSectionLabel('DESIGNER drugs are a growing problem.')).toBeUndefined();
  });
});

describe('classifySentenceRoles: labelled abstracts', () => {
  it('keeps each label and carries it to the unlabelled sentences after it', () => {
    const guesses = classifySentenceRoles([
      'OBJECTIVE: To compare two doses.',
      'We hypothesised a difference.',
      'METHODS In conclusion, these findings suggest nothing.',
      'Mortality fell by 20% (p < 0.01).',
      'RESULTS Heart failure is a common disorder.',
      'CONCLUSIONS We randomly assigned 2458 women to risedronate or placebo.',
    ]);
    // The words point elsewhere; the labels still decide.
    expect(guesses.map((g) => g.role)).toEqual(['objective', 'objective', 'methods', 'methods', 'results', 'conclusions']);
    expect(guesses.every((g) => g.labelled)).toBe(true);
    expect(guesses[3]!.p.methods).toBe(1);
  });

  it('lets the model choose within a two-role label, and only there', () => {
    const guesses = classifySentenceRoles([
      'BACKGROUND Heart failure is common.',
      'METHODS AND RESULTS We enrolled 300 patients with heart failure.',
      'Mortality fell by 20% in the treated group (hazard ratio 0.80, 95% CI 0.70-0.91; p < 0.001).',
      'CONCLUSIONS The drug works.',
    ]);
    expect(guesses.map((g) => g.role)).toEqual(['background', 'methods', 'results', 'conclusions']);
    for (const g of guesses.slice(1, 3)) expect(g.p.background + g.p.objective + g.p.conclusions).toBe(0);
  });
});

describe('classifySentenceRoles: unlabelled abstracts', () => {
  const abstract = [
    'Heart failure is a common disorder associated with substantial morbidity.',
    'To quantify calcium absorption at two levels of vitamin D repletion, using pharmacokinetic methods.',
    'We randomly assigned 2458 women to risedronate or placebo.',
    'Risedronate reduced the cumulative incidence of new vertebral fractures by 41% over 3 years.',
    'These findings suggest that risedronate reduces fractures in women with osteoporosis.',
  ];

  it('tells background, objective, methods, results and conclusions apart', () => {
    const guesses = classifySentenceRoles(abstract);
    expect(guesses.map((g) => g.role)).toEqual(['background', 'objective', 'methods', 'results', 'conclusions']);
    for (const g of guesses) {
      expect(g.labelled).toBe(false);
      expect(Object.values(g.p).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      expect(g.p[g.role]).toBe(Math.max(...Object.values(g.p)));
    }
  });

  it('reads the words, not only the position', () => {
    // The same sentences shuffled: each keeps its role when it sits in an unusual place.
    expect(roles([abstract[0]!, abstract[2]!, abstract[3]!])).toEqual(['background', 'methods', 'results']);
    expect(roles(['We randomly assigned 2458 women to risedronate or placebo.'])).toEqual(['methods']);
    expect(roles(['Risedronate reduced the cumulative incidence of new vertebral fractures by 41% over 3 years.'])).toEqual(['results']);
    expect(roles(['To quantify calcium absorption at two levels of vitamin D repletion, using pharmacokinetic methods.'])).toEqual(['objective']);
  });

  it('is deterministic, handles an empty abstract, and is fast', () => {
    expect(classifySentenceRoles([])).toEqual([]);
    expect(classifySentenceRoles(abstract)).toEqual(classifySentenceRoles(abstract));
    const twenty = Array.from({ length: 20 }, (_, i) => abstract.map((s) => s.replace('2458', String(100 + i))).concat(abstract));
    for (const a of twenty) classifySentenceRoles(a);
    const started = performance.now();
    for (const a of twenty) classifySentenceRoles(a);
    // 200 sentences; well under 10 ms on a quiet machine, generous here for shared CI cores.
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe.skipIf(!existsSync(SCIFACT.corpus))('classifySentenceRoles on real SciFact abstracts', () => {
  it('recovers the stripped labels of held-out abstracts above the measured floor', async () => {
    const all = await loadLabelledAbstracts(SHARED_DATA);
    expect(all.length).toBeGreaterThan(1000);
    expect(all.some((a) => a.id.startsWith('pubmed:'))).toBe(true);
    // The label words are gone from the text the classifier sees.
    const sample = all.filter((a) => isHeldOut(a.id)).slice(0, 80);
    for (const a of sample) for (const s of a.sentences) expect(parseSectionLabel(s.text)?.roles.length ?? 0).toBe(0);
    const scores = scorePairs(predictPairs(sample, roles as (s: readonly string[]) => (typeof SENTENCE_ROLES)[number][]));
    // Measured 0.946 accuracy / 0.928 macro-F1 on this sample with the shipped weights (refitted on
    // everything, so they saw it; the true held-out 0.855 / 0.796 is in role-weights.ts). Position
    // alone scores 0.739 / 0.608 here, so these floors fail if the words stop counting.
    expect(scores.accuracy).toBeGreaterThan(0.88);
    expect(scores.macro_f1).toBeGreaterThan(0.85);
  });
});
