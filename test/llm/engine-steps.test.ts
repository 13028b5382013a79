/**
 * The engine's steps against a scripted fake model: what each step asks (model, schema, data blocks),
 * what it accepts, and the guards: repair of invalid JSON, per-item fallback, fabricated quotes and
 * unknown papers rejected and counted, reviewer disagreement, citations in the answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { quoteIsVerbatim } from '../../src/pipeline/invariants.js';
import { ReportSchema, type Report } from '../../src/model.js';
import { readCorpusFile } from '../../src/sources/corpus.js';
import type { StageContext } from '../../src/engines/engine.js';
import { planFromQuestion } from '../../src/engines/extractive/plan.js';
import type { Ask } from '../../src/engines/llm/ask.js';
import { planWithModel } from '../../src/engines/llm/plan.js';
import { silentLogger } from '../../src/logger.js';
import { dataOf, startFakeLlm, type FakeLlm, type Script } from './fake-llm-server.js';
import { composeJson, fakeModel } from './fake-model.js';
import { FIXTURE_CORPUS, llmEnv, llmMethodology, QUESTION, runSynthesis } from './helpers.js';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function run(script: Script, protocol: 'openai' | 'anthropic' = 'openai', question = QUESTION) {
  fake = await startFakeLlm({ protocol, script, apiKey: 'test-key' });
  const report = await runSynthesis(llmEnv(fake, protocol), { question });
  expect(ReportSchema.safeParse(report).success).toBe(true);
  expect(fake.protocolErrors).toEqual([]);
  return { report, fake };
}

async function expectQuotesVerbatim(report: Report) {
  const { papers } = await readCorpusFile(FIXTURE_CORPUS);
  const byId = new Map(papers.map((p) => [p.id, p]));
  for (const claim of report.claims) {
    expect(quoteIsVerbatim(claim.quote, byId.get(claim.paperId)!)).toBe(true);
    for (const e of claim.verification.evidence) expect(quoteIsVerbatim(e.quote, byId.get(e.paperId)!)).toBe(true);
  }
}

describe.each(['openai', 'anthropic'] as const)('the LLM engine over %s', (protocol) => {
  it('runs every step through the model with valid output and accounts for the tokens', async () => {
    const { report, fake } = await run(fakeModel(), protocol);
    expect(report.methodology.engine).toBe(`llm:${protocol}/fake-model-1`);
    const steps = fake.requests.map((r) => r.step);
    expect(steps[0]).toBe('plan');
    expect(steps.filter((s) => s === 'extract')).toHaveLength(2); // 7 screened papers in batches of 4
    expect(steps.filter((s) => s === 'verify')).toHaveLength(report.claims.length);
    expect(fake.requests.filter((r) => r.step === 'review').map((r) => r.reviewer).sort()).toEqual(['coverage', 'evidence', 'sources']);
    expect(steps.at(-1)).toBe('compose');
    for (const r of fake.requests) expect(r.body.model).toBe('fake-model-1');

    expect(report.claims.length).toBeGreaterThan(0);
    expect(report.claims.every((c) => c.verification.verdict === 'supported')).toBe(true);
    await expectQuotesVerbatim(report);
    expect(report.reviews.map((r) => [r.reviewer, r.score])).toEqual([['coverage', 7], ['evidence', 6], ['sources', 5]]);
    expect(report.title).toBe('What the included studies say');
    expect(report.abstract).toMatch(/\[1\]/);

    const llm = llmMethodology(report);
    expect(llm.calls).toBe(fake.requests.length);
    expect(Object.keys(llm.steps)).toEqual(['plan', 'extract', 'verify', 'review', 'compose']);
    expect(llm.steps.verify!.calls).toBe(report.claims.length);
    expect(llm.totalTokens).toBe(llm.promptTokens + llm.completionTokens);
    expect(llm.promptTokens).toBeGreaterThan(1000);
    expect(llm.budget).toEqual({ maxTokens: 200000, reached: false });
    expect(report.limitations[0]).toContain(`llm:${protocol}/fake-model-1`);
  });

  it('sends each step its schema and its data in tagged blocks', async () => {
    const { fake } = await run(fakeModel(), protocol);
    const schemaOf = (i: number) => {
      const body = fake.requests[i]!.body;
      return protocol === 'openai'
        ? (body.response_format as { json_schema: { name: string; schema: { properties: object } } }).json_schema
        : { name: (body.tool_choice as { name: string }).name, schema: (body.tools as { input_schema: { properties: object } }[])[0]!.input_schema };
    };
    const names = fake.requests.map((_, i) => schemaOf(i).name);
    expect(names[0]).toBe('search_plan');
    expect(names[1]).toBe('findings');
    expect(names).toContain('verification');
    expect(names.at(-1)).toBe('answer');
    expect(Object.keys(schemaOf(1).schema.properties)).toEqual(['findings']);

    const plan = fake.requests[0]!;
    expect(dataOf(plan.user, 'question')).toBe(QUESTION);
    const extract = fake.requests[1]!;
    const papers = dataOf<{ id: string; title: string; abstract: string }[]>(extract.user, 'papers')!;
    expect(papers.map((p) => p.id)).toEqual(['P1', 'P2', 'P3', 'P4']);
    expect(papers[0]!.abstract.length).toBeGreaterThan(100);
    const verify = fake.requests.find((r) => r.step === 'verify')!;
    expect(typeof dataOf(verify.user, 'claim')).toBe('string');
    expect(dataOf<unknown[]>(verify.user, 'passages')!.length).toBeGreaterThan(0);
  });
});

describe('a server without structured outputs', () => {
  it('runs the whole synthesis in JSON mode after the first json_schema request is rejected', async () => {
    fake = await startFakeLlm({ protocol: 'openai', script: fakeModel(), apiKey: 'test-key', rejectJsonSchema: true });
    const report = await runSynthesis(llmEnv(fake));
    const formats = fake.requests.map((r) => (r.body.response_format as { type: string }).type);
    expect(formats[0]).toBe('json_schema');
    expect(formats.slice(1).every((f) => f === 'json_object')).toBe(true);
    expect(report.methodology.engine).toBe('llm:openai/fake-model-1');
    expect(llmMethodology(report).calls).toBe(fake.requests.length - 1);
    expect(report.limitations.join(' ')).not.toMatch(/extractive engine/);
  });
});

describe('guards on model output', () => {
  it('repairs invalid JSON with one more call that shows the model its reply and the problem', async () => {
    let broken = false;
    const { report, fake } = await run(
      fakeModel({
        extract: () => {
          if (broken) return undefined;
          broken = true;
          return { text: '{"findings": [{"paperId": "P1", "quote": ' };
        },
      }),
    );
    const extracts = fake.requests.filter((r) => r.step === 'extract');
    expect(extracts).toHaveLength(3);
    const repair = extracts.find((r) => (r.body.messages as unknown[]).length === 4)!;
    const messages = repair.body.messages as { role: string; content: string }[];
    expect(messages[2]).toEqual({ role: 'assistant', content: '{"findings": [{"paperId": "P1", "quote": ' });
    expect(messages[3]!.content).toMatch(/not valid JSON/);
    expect(llmMethodology(report).repairs).toEqual({ attempted: 1, succeeded: 1 });
    expect(report.limitations.join(' ')).not.toMatch(/extractive engine handled/);
  });

  it('falls back to the extractive engine for an item whose reply stays invalid, and says so', async () => {
    const { report } = await run(
      fakeModel({ verify: (r) => (dataOf<string>(r.user, 'claim')!.includes('Daily vitamin D supplementation lowers fracture risk') ? { json: { verdict: 'maybe' } } : undefined) }),
    );
    expect(report.claims.length).toBeGreaterThan(0);
    expect(llmMethodology(report).fallbacks).toEqual({ verify: { invalid: 1 } });
    expect(report.limitations).toContainEqual(expect.stringMatching(/^For 1 item\(s\) \(verify 1\) the model's reply was not valid JSON.*extractive engine handled them/));
  });

  it('hands a refused item to the extractive engine', async () => {
    const { report } = await run(fakeModel({ compose: () => ({ refusal: 'I cannot write this.' }) }));
    expect(report.title).toBe(`Evidence synthesis: ${QUESTION}`);
    expect(report.limitations).toContainEqual(expect.stringMatching(/For 1 item\(s\) \(compose 1\) the model declined to answer/));
  });

  it('rejects and counts a fabricated quote and a citation of a paper not in the run', async () => {
    const { report } = await run(
      fakeModel({
        extract: (r) => {
          const papers = dataOf<{ id: string; abstract: string }[]>(r.user, 'papers')!;
          if (papers[0]!.id !== 'P1') return undefined;
          const real = papers[1]!.abstract.split('. ').at(-1)!;
          return {
            json: {
              findings: [
                { paperId: 'P1', quote: 'Vitamin D supplementation halved fracture risk in every trial.', claim: 'Vitamin D supplementation halved fracture risk in every trial.', relevance: 1 },
                { paperId: 'P42', quote: real, claim: 'A paper that does not exist says vitamin D works.', relevance: 1 },
                { paperId: 'P2', quote: real, claim: real, relevance: 0.9 },
              ],
            },
          };
        },
        verify: (r) => {
          const groups = dataOf<{ id: string; sentences: string[] }[]>(r.user, 'passages')!;
          return {
            json: {
              evidence: [
                { paperId: 'P99', quote: groups[0]!.sentences[0], stance: 'supports' },
                { paperId: groups[0]!.id, quote: 'A sentence no paper contains.', stance: 'supports' },
                { paperId: groups[0]!.id, quote: groups[0]!.sentences[0], stance: 'supports' },
              ],
              verdict: 'supported',
              confidence: 0.8,
              rationale: 'Mixed.',
            },
          };
        },
      }),
    );
    expect(report.claims.some((c) => c.text.includes('halved'))).toBe(false);
    expect(report.claims.some((c) => c.text.includes('does not exist'))).toBe(false);
    expect(report.claims.length).toBeGreaterThan(0);
    await expectQuotesVerbatim(report);
    for (const c of report.claims) expect(c.verification.evidence).toHaveLength(1);
    const rejected = llmMethodology(report).rejected as Record<string, number>;
    expect(rejected).toEqual({ claimQuotes: 1, claimPapers: 1, evidenceQuotes: report.claims.length, evidencePapers: report.claims.length });
    expect(report.limitations).toContain('The model proposed claims that were rejected: 1 with a quote not found verbatim in the cited paper, 1 citing a paper not in this run.');
    expect(report.limitations).toContainEqual(expect.stringMatching(/^The model cited evidence that was rejected: \d+ with a quote not found verbatim/));
  });

  it('reports reviewers who disagree by more than three points', async () => {
    const scores: Record<string, number> = { coverage: 9, evidence: 2, sources: 5 };
    const { report } = await run(fakeModel({ review: (r) => ({ json: { score: scores[r.reviewer!], rationale: `${r.reviewer} view.` } }) }));
    expect(report.reviews.map((r) => r.score)).toEqual([9, 2, 5]);
    expect(llmMethodology(report).reviewSpread).toBe(7);
    expect(report.limitations).toContainEqual(expect.stringMatching(/^The reviewers disagree by 7 points \(coverage 9, evidence 2, sources 5\)/));
  });

  it('removes answer citations that match no reference, and keeps the valid ones', async () => {
    const { report } = await run(
      fakeModel({ compose: () => composeJson({ title: 'Vitamin D [3] and fractures', abstract: 'The evidence suggests a benefit [1, 42] but not in all trials [99].' }) }),
    );
    expect(report.abstract).toBe('The evidence suggests a benefit [1] but not in all trials.');
    expect(report.title).toBe('Vitamin D and fractures');
    expect(report.limitations).toContain("2 citation(s) in the model's answer matched no reference and were removed.");
  });

  it('uses the extractive answer when no valid citation is left', async () => {
    const { report } = await run(fakeModel({ compose: () => composeJson({ title: 'T', abstract: 'Vitamin D works [12].' }) }));
    // The extractive abstract leads with its structured answer.
    expect(report.answer).toBeDefined();
    expect(report.abstract.startsWith(report.answer!.text)).toBe(true);
    expect(report.abstract).toMatch(/^(?:Yes|No|Mixed|Insufficient evidence)\b/);
    expect(report.abstract).toMatch(/\[\d+/);
    expect(report.limitations).toContainEqual(expect.stringMatching(/^For 1 item\(s\) \(compose 1\) the model's answer cited no reference/));
  });

  it('says coverage gaps plainly even when the model leaves them out', async () => {
    const { report } = await run(fakeModel(), 'openai', 'Does vitamin D supplementation reduce fracture risk in older adults with dementia?');
    expect(report.gaps).toContain('No retrieved source addresses "dementia".');
    expect(report.abstract).toMatch(/Not addressed by the retrieved sources: No retrieved source addresses "dementia"\.$/);
  });

  it("keeps only key terms copied from the question, and the model's queries per source", async () => {
    const ask: Ask = async <T,>() => ({
      ok: true as const,
      value: {
        keyTerms: ['vitamin D', 'cholecalciferol', 'fracture', 'vitamin D'],
        searchTerms: ['bone', '<!channel> ignore'],
        query: 'vitamin D fracture prevention',
        perSource: { openalex: 'o', arxiv: '', crossref: 'c', semanticscholar: 's', pubmed: 'vitamin D[MeSH] fracture' },
        facets: {
          kind: 'effect',
          exposure: ['vitamin D supplementation', 'cholecalciferol', '<!channel>', 'Cholecalciferol'],
          outcome: ['fracture risk'],
          population: ['older adults'],
          compared: [['ignored']],
          direction: 'reduce',
          proposition: 'Vitamin D supplementation reduces fracture risk in older adults.',
        },
      } as T,
    });
    const fallback = planFromQuestion(QUESTION);
    const plan = await planWithModel(QUESTION, ask, fallback, silentContext());
    expect(plan.keyTerms).toEqual(['vitamin D', 'fracture']);
    expect(plan.terms).toEqual(['vitamin D', 'fracture', 'cholecalciferol', 'bone', '@channel ignore']);
    expect(plan.query).toBe('vitamin D fracture prevention');
    expect(plan.perSource).toEqual({ openalex: 'o', crossref: 'c', semanticscholar: 's', pubmed: 'vitamin D[MeSH] fracture' });
    expect(plan.facets).toEqual({
      kind: 'effect',
      exposure: ['vitamin D supplementation', 'cholecalciferol', '@channel'],
      outcome: ['fracture risk'],
      population: ['older adults'],
      compared: [],
      direction: -1,
      proposition: 'Vitamin D supplementation reduces fracture risk in older adults.',
    });

    // An effect without an outcome does not hold together: the extractive plan's facets (if any) stand.
    const broken = { kind: 'effect', exposure: ['vitamin D'], outcome: ['  ', '?'], population: [], compared: [], direction: 'any', proposition: null };
    const none: Ask = async <T,>() => ({ ok: true as const, value: { keyTerms: ['osteoporosis'], searchTerms: [], query: '', perSource: { openalex: '', arxiv: '', crossref: '', semanticscholar: '', pubmed: '' }, facets: broken } as T });
    const kept = await planWithModel(QUESTION, none, fallback, silentContext());
    expect(kept.keyTerms).toEqual(fallback.keyTerms);
    expect(kept.query).toBe(fallback.query);
    expect(kept.facets).toEqual(fallback.facets);
    const withFacets = { ...fallback, facets: { kind: 'open' as const, exposure: [], outcome: [], population: [], compared: [], direction: 0 as const } };
    expect((await planWithModel(QUESTION, none, withFacets, silentContext())).facets).toBe(withFacets.facets);
    const comparison: Ask = async <T,>() => ({
      ok: true as const,
      value: { keyTerms: [], searchTerms: [], query: '', perSource: { openalex: '', arxiv: '', crossref: '', semanticscholar: '', pubmed: '' }, facets: { ...broken, kind: 'comparison', compared: [['GPT-4', 'gpt4'], [' '], ['Code Llama']], proposition: 'not for a comparison either' } } as T,
    });
    expect((await planWithModel('How does GPT-4 compare with Code Llama on pass@1?', comparison, fallback, silentContext())).facets).toEqual({
      kind: 'comparison',
      exposure: ['vitamin D'],
      outcome: [],
      population: [],
      compared: [['GPT-4', 'gpt4'], ['Code Llama']],
      direction: 0,
      proposition: 'not for a comparison either',
    });
  });
});

function silentContext(): StageContext {
  return { signal: new AbortController().signal, log: silentLogger, emit: () => {}, warn: () => {} };
}
