import { describe, expect, it } from 'vitest';
import { planFromQuestion } from '../../src/engines/extractive/plan.js';

describe('planFromQuestion', () => {
  it('keeps model names, sizes, metrics and benchmark names whole', () => {
    const plan = planFromQuestion('Does scaling Code Llama from 7B to 70B improve pass@1 on BigCodeBench?');
    expect(plan.keyTerms).toEqual(expect.arrayContaining(['Code Llama', '7B', '70B', 'pass@1', 'BigCodeBench']));
    // Question scaffolding and direction words are search terms at most, never key terms.
    expect(plan.keyTerms).not.toContain('improve');
    expect(plan.keyTerms).not.toContain('Does');
    expect(plan.query).toContain('BigCodeBench');
  });

  it('keeps "vitamin D", "type 2 diabetes" and "T cell" as phrases', () => {
    expect(planFromQuestion('Does vitamin D supplementation reduce fracture risk?').keyTerms).toEqual([
      'vitamin D',
      'supplementation',
      'fracture',
      'risk',
    ]);
    expect(planFromQuestion('Is type 2 diabetes associated with Alzheimer disease?').keyTerms).toContain('type 2 diabetes');
    expect(planFromQuestion('How does IL-6 signalling affect T cell differentiation?').keyTerms).toEqual(
      expect.arrayContaining(['T cell', 'IL-6', 'differentiation']),
    );
  });

  it('is deterministic', () => {
    const q = 'What is the effect of GPT-4 on COVID-19 diagnosis accuracy?';
    expect(planFromQuestion(q)).toEqual(planFromQuestion(q));
  });
});
