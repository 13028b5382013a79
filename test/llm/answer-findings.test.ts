/**
 * The compose step's structured answer and findings table, end to end through the real pipeline
 * against the scripted fake: what reaches the report, what the engine's guards remove and count
 * (unknown claim ids, numbers or quotes the paper does not contain, papers it was not given), what
 * the core corrects (a "yes" resting on contradicted claims), and the fallback to the extractive
 * composition for a reply that stays invalid.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/model.js';
import { dataOf, startFakeLlm, type FakeLlm, type FakeReply, type RecordedRequest } from './fake-llm-server.js';
import { defaultAnswer, fakeModel, percentFindings, type StepOverrides } from './fake-model.js';
import { llmEnv, llmMethodology, QUESTION, runSynthesis } from './helpers.js';

interface SynthesisView {
  references: { n: number; title: string }[];
  claims: { id: string; claim: string; ref: number; verdict: string }[];
}
interface PromptPaper {
  id: string;
  title: string;
  abstract: string;
}

const CONTRADICTED_CLAIM = 'Daily vitamin D supplementation lowers fracture risk in older women.';

let fake: FakeLlm | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function run(overrides: StepOverrides, question = QUESTION) {
  fake = await startFakeLlm({ protocol: 'openai', script: fakeModel(overrides), apiKey: 'test-key' });
  const report = await runSynthesis(llmEnv(fake), { question });
  expect(ReportSchema.safeParse(report).success).toBe(true);
  expect(fake.protocolErrors).toEqual([]);
  return { report, fake };
}

/** The default compose reply with its answer and findings replaced. */
function composeWith(request: RecordedRequest, parts: { answer?: unknown; findings?: unknown }): FakeReply {
  const base = (defaultAnswer(request) as { json: Record<string, unknown> }).json;
  return { json: { ...base, ...parts } };
}

function viewOf(request: RecordedRequest): SynthesisView {
  return dataOf<SynthesisView>(request.user, 'synthesis')!;
}

function papersOf(request: RecordedRequest): PromptPaper[] {
  return dataOf<PromptPaper[]>(request.user, 'papers')!;
}

describe('the structured answer and the findings table', () => {
  it('puts a valid answer and verbatim findings in the report, with the papers named by reference number', async () => {
    let given: PromptPaper[] = [];
    const { report, fake } = await run({
      compose: (r) => {
        const view = viewOf(r);
        given = papersOf(r);
        const ids = view.claims.map((c) => c.id);
        return composeWith(r, {
          answer: { verdict: 'yes', confidence: 'high', basis: ids.slice(0, 3), text: `Yes, on balance vitamin D lowers fracture risk [${view.claims[0]!.ref}, 42].` },
          findings: percentFindings(given),
        });
      },
    });
    const compose = fake.requests.find((r) => r.step === 'compose')!;
    expect(viewOf(compose).claims.map((c) => c.id)).toEqual(report.claims.map((c) => c.id));
    expect(given.map((p) => p.id)).toEqual(report.references.slice(0, given.length).map((_, i) => `P${i + 1}`));
    expect(given.map((p) => p.title)).toEqual(report.references.slice(0, given.length).map((r) => r.title));

    expect(report.answer).toEqual({
      verdict: 'yes',
      confidence: 'high',
      basis: report.claims.slice(0, 3).map((c) => c.id),
      text: `Yes, on balance vitamin D lowers fracture risk [${report.references.findIndex((r) => r.id === report.claims[0]!.paperId) + 1}].`,
    });
    expect(llmMethodology(report).rejected).toEqual({ answerCitations: 1 });

    const findings = report.findings!;
    expect(findings.length).toBe(percentFindings(given).length);
    expect(findings.length).toBeGreaterThanOrEqual(4);
    const vd1 = findings.find((f) => f.paperId === 'corpus:vd1')!;
    expect(vd1).toEqual({
      paperId: 'corpus:vd1',
      subject: 'Vitamin D supplementation and fracture risk in older women: a randomised trial',
      measure: 'change',
      value: '22%',
      quote: 'Vitamin D supplementation reduced the risk of hip fracture by 22% compared with placebo.',
    });
    // Pn is reference [n]: every finding names the corpus id of the paper it was read from.
    for (const f of findings) {
      const alias = percentFindings(given).find((g) => g.quote === f.quote)!.paperId;
      expect(report.references[Number(alias.slice(1)) - 1]!.id).toBe(f.paperId);
    }
    expect(report.limitations.join(' ')).not.toMatch(/findings|findings table/);
  });

  it('removes claim ids from the basis that name no claim, and says so', async () => {
    const { report } = await run({
      compose: (r) => {
        const first = viewOf(r).claims[0]!;
        return composeWith(r, { answer: { verdict: 'yes', confidence: 'medium', basis: [first.id, 'c99', 'P1', first.id], text: `Yes [${first.ref}].` } });
      },
    });
    expect(report.answer!.basis).toEqual([report.claims[0]!.id]);
    expect(report.answer!.verdict).toBe('yes');
    expect(llmMethodology(report).rejected).toEqual({ answerBasis: 2 });
    expect(report.limitations).toContain("2 claim id(s) in the basis of the model's answer named no claim of this report and were removed.");
  });

  it('drops findings with a fabricated number, an altered quote or an unknown paper, and counts them', async () => {
    const { report } = await run({
      compose: (r) => {
        const papers = papersOf(r);
        const vd1 = papers.find((p) => p.title.startsWith('Vitamin D supplementation and fracture risk in older women'))!;
        const real = 'Vitamin D supplementation reduced the risk of hip fracture by 22% compared with placebo.';
        return composeWith(r, {
          findings: [
            { paperId: vd1.id, subject: 'vitamin D', measure: 'hip fracture risk reduction', value: '22%', condition: 'vs placebo', quote: real },
            // A number the paper does not report, with the real sentence changed to carry it.
            { paperId: vd1.id, subject: 'vitamin D', measure: 'hip fracture risk reduction', value: '45%', condition: null, quote: real.replace('22%', '45%') },
            // A number the paper does not report, next to a real quote that does not contain it.
            { paperId: vd1.id, subject: 'vitamin D', measure: 'any fracture', value: '38%', condition: null, quote: real },
            // A real number, but the quote is not the sentence it comes from.
            { paperId: vd1.id, subject: 'women', measure: 'participants', value: '2,686', condition: null, quote: real },
            { paperId: 'P42', subject: 'vitamin D', measure: 'fractures', value: '22%', condition: null, quote: real },
          ],
        });
      },
    });
    expect(report.findings).toEqual([
      { paperId: 'corpus:vd1', subject: 'vitamin D', measure: 'hip fracture risk reduction', value: '22%', condition: 'vs placebo', quote: 'Vitamin D supplementation reduced the risk of hip fracture by 22% compared with placebo.' },
    ]);
    expect(llmMethodology(report).rejected).toEqual({ findingValues: 3, findingPapers: 1 });
    expect(report.limitations).toContain('The model proposed findings that were dropped: 3 with a number or quote not found verbatim in the cited paper, 1 citing a paper it was not given.');
  });

  it("restores a quote the model retyped in another case to the paper's own text", async () => {
    const { report } = await run({
      compose: (r) => {
        const vd4 = papersOf(r).find((p) => p.title.startsWith('Vitamin D and calcium'))!;
        return composeWith(r, {
          findings: [{ paperId: vd4.id, subject: 'residents', measure: 'adherence', value: '85%', condition: null, quote: 'ADHERENCE WAS 85% IN BOTH GROUPS.' }],
        });
      },
    });
    expect(report.findings).toEqual([{ paperId: 'corpus:vd4', subject: 'residents', measure: 'adherence', value: '85%', quote: 'Adherence was 85% in both groups.' }]);
  });
});

describe('a "yes" resting on a contradicted claim', () => {
  const contradict: StepOverrides['verify'] = (r) => {
    if (dataOf<string>(r.user, 'claim') !== CONTRADICTED_CLAIM) return undefined;
    const group = dataOf<{ id: string; sentences: string[] }[]>(r.user, 'passages')![0]!;
    return { json: { evidence: [{ paperId: group.id, quote: group.sentences[0], stance: 'contradicts' }], verdict: 'contradicted', confidence: 0.8, rationale: 'It disagrees.' } };
  };

  it.each([
    ['only on the contradicted claim', 'insufficient', /^Insufficient evidence: no finding that is not contradicted decides the question \[\d+\]\.$/],
    ['on the contradicted claim and a supported one', 'mixed', /^Mixed: the findings this answer rests on \[\d+, \d+\] are contradicted by other included papers\.$/],
  ] as const)('is corrected by the core when it rests %s', async (_label, verdict, text) => {
    let shown: SynthesisView | undefined;
    const { report } = await run({
      verify: contradict,
      compose: (r) => {
        shown = viewOf(r);
        const bad = shown.claims.find((c) => c.claim === CONTRADICTED_CLAIM)!;
        const good = shown.claims.find((c) => c.verdict === 'supported' && c.ref !== bad.ref)!;
        const basis = verdict === 'insufficient' ? [bad.id] : [bad.id, good.id];
        return composeWith(r, { answer: { verdict: 'yes', confidence: 'high', basis, text: `Yes, vitamin D prevents fractures [${bad.ref}].` } });
      },
    });
    // The model was shown the verdict it ignored.
    expect(shown!.claims.find((c) => c.claim === CONTRADICTED_CLAIM)!.verdict).toBe('contradicted');
    const bad = report.claims.find((c) => c.text === CONTRADICTED_CLAIM)!;
    expect(bad.verification.verdict).toBe('contradicted');
    expect(report.answer!.verdict).toBe(verdict);
    expect(report.answer!.basis).toContain(bad.id);
    expect(report.answer!.text).toMatch(text);
    expect(report.answer!.text).not.toMatch(/prevents fractures/);
  });
});

describe('a compose reply without a usable answer or findings', () => {
  it.each([
    ['no answer', (r: RecordedRequest) => omit(r, 'answer')],
    ['no findings', (r: RecordedRequest) => omit(r, 'findings')],
    ['an invalid verdict', (r: RecordedRequest) => composeWith(r, { answer: { verdict: 'probably', confidence: 'high', basis: [], text: 'Probably [1].' } })],
    ['a finding without a value', (r: RecordedRequest) => composeWith(r, { findings: [{ paperId: 'P1', subject: 's', measure: 'm', condition: null, quote: 'q' }] })],
  ])('with %s, after one repair attempt, falls back to the extractive composition as a whole', async (_label, reply) => {
    const { report, fake } = await run({ compose: reply });
    const composes = fake.requests.filter((r) => r.step === 'compose');
    expect(composes).toHaveLength(2);
    const repair = (composes[1]!.body.messages as { role: string; content: string }[]).at(-1)!.content;
    expect(repair).toMatch(/does not match the required schema/);
    expect(report.title).toBe(`Evidence synthesis: ${QUESTION}`);
    expect(report.abstract).not.toContain('The evidence suggests a modest benefit');
    expect(report.answer?.text ?? '').not.toMatch(/^(Yes: the evidence suggests|Probably)/);
    expect(report.findings ?? []).not.toContainEqual(expect.objectContaining({ measure: 'change' }));
    expect(llmMethodology(report).fallbacks).toEqual({ compose: { invalid: 1 } });
    expect(report.limitations).toContainEqual(expect.stringMatching(/^For 1 item\(s\) \(compose 1\) the model's reply was not valid JSON/));
  });

  it('keeps the repaired reply when the second attempt is valid', async () => {
    let calls = 0;
    const { report } = await run({ compose: (r) => (++calls === 1 ? omit(r, 'answer') : undefined) });
    expect(calls).toBe(2);
    expect(report.title).toBe('What the included studies say');
    expect(report.answer!.text).toMatch(/^Yes: the evidence suggests a modest benefit \[\d+\]\.$/);
    expect(llmMethodology(report).repairs).toEqual({ attempted: 1, succeeded: 1 });
  });
});

function omit(request: RecordedRequest, key: 'answer' | 'findings'): FakeReply {
  const { [key]: _dropped, ...rest } = (defaultAnswer(request) as { json: Record<string, unknown> }).json;
  return { json: rest };
}
