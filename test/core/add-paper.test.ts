/**
 * Adding a paper to a real SciFact report (`addPaper`): the report's question run again over its papers
 * plus the added one, the diff consistent with both reports, and `describeChanges` saying it; a paper
 * already in the report, one without an abstract, one off the question's topic; `findReference`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import type { ProgressEvent } from '../../src/events.js';
import { ReportSchema, type Claim, type Paper, type Report } from '../../src/model.js';
import { addPaper, describeChanges, findReference, paperLabel, type ReportDiff } from '../../src/pipeline/add-paper.js';
import { createSynthesizer } from '../../src/pipeline/synthesize.js';
import { createCorpusSource } from '../../src/sources/corpus.js';
import { lookupPaper } from '../../src/sources/lookup.js';
import { parseOpenAlexWork } from '../../src/sources/openalex.js';
import { scriptedEngine } from '../helpers/fakes.js';
import { SCIFACT, SHARED_DATA } from '../helpers/paths.js';

const QUESTION = 'Does aspirin reduce the risk of colorectal cancer?';
/** A SciFact review of aspirin for colorectal cancer that a 3-paper run does not include. */
const ADDED = 'corpus:7613033';

const engine = createExtractiveEngine();
const corpus = createCorpusSource([SCIFACT.corpus]);
let original: Report;
let candidates: string[];

/** A report as it is read back from its saved JSON. */
const saved = (report: Report) => ReportSchema.parse(JSON.parse(JSON.stringify(report)));

async function paper(id: string): Promise<Paper> {
  const found = await lookupPaper(id, [corpus]);
  if (found.status !== 'found') throw new Error(found.message);
  return found.paper;
}

beforeAll(async () => {
  const synthesize = createSynthesizer({ sources: [corpus], engine });
  original = saved(await synthesize({ question: QUESTION, maxPapers: 3 }));
  // Papers a wider run of the same question includes and this report does not.
  const wider = await synthesize({ question: QUESTION, maxPapers: 12 });
  const have = new Set(original.references.map((r) => r.id));
  candidates = wider.references.map((r) => r.id).filter((id) => !have.has(id));
}, 60_000);

/** Every statement of the diff checked against the two reports. */
function expectConsistent(before: Report, after: Report, diff: ReportDiff): void {
  expect(diff.of).toBe(before.id);
  expect(diff.report).toBe(after.id);
  const key = (c: Pick<Claim, 'paperId' | 'quote'>) => `${c.paperId} ${c.quote}`;
  const oldKeys = new Map(before.claims.map((c, i) => [key(c), i + 1]));
  const newKeys = new Map(after.claims.map((c, i) => [key(c), i + 1]));
  for (const c of diff.newClaims) {
    const claim = after.claims[c.number - 1]!;
    expect(claim.id).toBe(c.id);
    expect(oldKeys.has(key(claim))).toBe(false);
    expect([c.verdict, c.confidence]).toEqual([claim.verification.verdict, claim.verification.confidence]);
    expect(c.fromAddedPaper).toBe(claim.paperId === diff.paper.id);
  }
  for (const m of diff.movedClaims) {
    const was = before.claims[m.was - 1]!;
    const now = after.claims[m.number - 1]!;
    expect(key(was)).toBe(key(now));
    expect(m.before).toEqual({ verdict: was.verification.verdict, confidence: was.verification.confidence });
    expect(m.after).toEqual({ verdict: now.verification.verdict, confidence: now.verification.confidence });
    expect(m.before.verdict !== m.after.verdict || Math.abs(m.before.confidence - m.after.confidence) >= 0.01).toBe(true);
    expect(m.addedEvidence).toBe(now.verification.evidence.find((e) => e.paperId === diff.paper.id)?.stance);
  }
  for (const e of diff.newEvidence) expect(after.claims[e.number - 1]!.verification.evidence.some((x) => x.paperId === diff.paper.id && x.stance === e.stance)).toBe(true);
  for (const r of diff.removedClaims) {
    expect(before.claims[r.number - 1]!.id).toBe(r.id);
    expect(newKeys.has(key(before.claims[r.number - 1]!))).toBe(false);
  }
  // Every claim of the new report is new, moved or unchanged; every old one is kept or removed.
  expect(diff.newClaims.length + diff.movedClaims.length + diff.unchangedClaims).toBe(after.claims.length);
  expect(before.claims.length - diff.removedClaims.length).toBe(diff.movedClaims.length + diff.unchangedClaims);
  expect(diff.answer.before).toEqual(before.answer && { verdict: before.answer.verdict, confidence: before.answer.confidence });
  expect(diff.answer.after).toEqual(after.answer && { verdict: after.answer.verdict, confidence: after.answer.confidence });
  expect(diff.answer.moved).toBe(before.answer?.verdict !== after.answer?.verdict || before.answer?.confidence !== after.answer?.confidence);
  expect(diff.droppedPapers).toEqual(before.references.map((r) => r.id).filter((id) => !after.references.some((r) => r.id === id)));
}

describe('addPaper on a SciFact report', () => {
  it('adds a paper the report did not include: its findings become claims, every claim is verified again', async () => {
    expect(original.references.map((r) => r.id)).not.toContain(ADDED);
    const events: ProgressEvent[] = [];
    const { report, diff } = await addPaper(original, await paper(ADDED), {
      engine,
      requested: '7613033',
      source: 'corpus',
      runId: 'added-run',
      onEvent: (e) => void events.push(e),
    });
    // A valid report of its own, tagged as the addition, with the question and papers of the original plus one.
    expect(ReportSchema.parse(JSON.parse(JSON.stringify(report))).id).toBe('added-run');
    expect(report.question).toBe(original.question);
    expect(report.addition).toEqual({ of: original.id, paper: ADDED, requested: '7613033', source: 'corpus' });
    expect(report.references.map((r) => r.id).sort()).toEqual([...original.references.map((r) => r.id), ADDED].sort());
    expect(report.references.every((r) => (r.abstract ?? '').length > 100)).toBe(true);
    expect(report.methodology.sources.map((s) => [s.name, s.found, s.included])).toEqual([
      ['thread', original.references.length, original.references.length],
      ['added', 1, 1],
    ]);
    const number = report.references.findIndex((r) => r.id === ADDED) + 1;
    expect(report.limitations[0]).toBe(
      `Paper [${number}] "Aspirin in the chemoprevention of colorectal neoplasia: an overview." was added by hand to report ${original.id} (asked for as "7613033", fetched from corpus): its question was run again over that report's ${original.references.length} paper(s) plus this one, and every claim verified again against them.`,
    );
    // Quotes verbatim in their papers, evidence from other papers: the pipeline's guarantees hold.
    const text = new Map(report.references.map((r) => [r.id, `${r.title} ${r.abstract}`]));
    for (const claim of report.claims) {
      expect(text.get(claim.paperId)).toContain(claim.quote);
      for (const e of claim.verification.evidence) expect(e.paperId).not.toBe(claim.paperId);
    }

    expect(diff.paper).toEqual({
      id: ADDED,
      title: 'Aspirin in the chemoprevention of colorectal neoplasia: an overview.',
      label: '“Aspirin in the chemoprevention of colorectal neoplasia: an overview”',
      status: 'added',
      reference: number,
      source: 'corpus',
    });
    expectConsistent(original, report, diff);
    // The added paper states a finding on the question, and bears on an earlier claim.
    expect(diff.newClaims.filter((c) => c.fromAddedPaper).length).toBeGreaterThan(0);
    expect([...diff.movedClaims.map((m) => m.addedEvidence), ...diff.newEvidence.map((e) => e.stance)]).toContain('supports');

    const said = describeChanges(diff);
    expect(said).toMatch(new RegExp(`^Added \\[${number}\\] “Aspirin in the chemoprevention of colorectal neoplasia: an overview”\\. `));
    for (const c of diff.newClaims) expect(said).toContain(String(c.number));
    for (const m of diff.movedClaims) expect(said).toContain(`claim ${m.number}`);
    expect(said).toMatch(/; the answer (?:is unchanged: |moved from .* to ).+\.$/);
    // The run's progress, under the new report's id.
    expect(events[0]).toMatchObject({ type: 'run-started', runId: 'added-run' });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', reportId: 'added-run' });
  });

  it('the diff agrees with both reports for every paper a wider run would have included', async () => {
    expect(candidates.length).toBeGreaterThan(2);
    for (const id of candidates.slice(0, 4)) {
      const { report, diff } = await addPaper(original, await paper(id), { engine });
      expect(diff.paper.status, id).toBe('added');
      expect(report.addition?.paper).toBe(id);
      expectConsistent(original, report, diff);
      expect(describeChanges(diff)).toMatch(/^Added \[\d+\] .+\. .+\.$/);
    }
  }, 30_000);

  it('a paper already in the report: said so, nothing re-run, the report unchanged', async () => {
    const spy = scriptedEngine();
    const first = original.references[0]!;
    const { report, diff } = await addPaper(original, await paper(first.id), { engine: spy });
    expect(report).toBe(original);
    expect(spy.calls).toEqual([]);
    expect(diff).toMatchObject({ of: original.id, report: original.id, paper: { id: first.id, status: 'already-included', reference: 1 }, newClaims: [], movedClaims: [], removedClaims: [] });
    expect(describeChanges(diff)).toBe(`[1] ${paperLabel(first)} is already in the report; nothing was re-run.`);
    // The same paper from another database (same DOI, another id) is the same paper.
    const doi = { ...original, references: original.references.map((r, i) => (i === 1 ? { ...r, doi: '10.1000/xyz.123' } : r)) };
    const other: Paper = { id: 'openalex:W1', title: 'Another title entirely here', abstract: 'Some text here.', authors: [], ids: { doi: '10.1000/XYZ.123' }, sources: ['openalex'] };
    expect((await addPaper(doi, other, { engine: spy })).diff.paper).toMatchObject({ status: 'already-included', reference: 2 });
    expect(spy.calls).toEqual([]);
  });

  it('findReference: by the ids a user gives, before any lookup', () => {
    const first = original.references[0]!;
    const raw = first.id.slice('corpus:'.length);
    expect(findReference(original, { kind: 'corpus', value: first.id })?.number).toBe(1);
    expect(findReference(original, { kind: 'pmid', value: raw })?.number).toBe(1);
    expect(findReference(original, { kind: 'title', value: `${first.title.toUpperCase()}!` })?.number).toBe(1);
    expect(findReference(original, { kind: 'pmid', value: '1' })).toBeUndefined();
    const live = { references: [{ id: 'pubmed:27797938', title: 'T', authors: [], doi: '10.1136/gutjnl-2016-312510', url: 'https://pubmed.ncbi.nlm.nih.gov/27797938/' }, { id: 'arxiv:1605.08386', title: 'U', authors: [] }] };
    expect(findReference(live, { kind: 'pmid', value: '27797938' })?.number).toBe(1);
    expect(findReference(live, { kind: 'doi', value: '10.1136/gutjnl-2016-312510' })?.number).toBe(1);
    expect(findReference(live, { kind: 'arxiv', value: '1605.08386' })?.number).toBe(2);
    expect(findReference(live, { kind: 'doi', value: '10.48550/arxiv.1605.08386' })).toBeUndefined();
  });

  it('a paper off the question\'s topic is screened out: said so, the report unchanged', async () => {
    const { report, diff } = await addPaper(original, await paper('corpus:27049238'), { engine, source: 'corpus' });
    expect(report).toBe(original);
    expect(diff.paper).toMatchObject({ id: 'corpus:27049238', status: 'not-included', reason: 'off-topic' });
    expect(describeChanges(diff)).toBe(
      '“Large deformation of red blood cell ghosts in a simple shear flow” was not included: screening found it off the question\'s topic (it does not name what the question is about), so the report is unchanged.',
    );
  });

  it('a paper without an abstract (OpenAlex\'s recorded work) cannot add anything: nothing re-run', async () => {
    const body = readFileSync(join(SHARED_DATA, 'openalex-api/responses/works-https-doi.org-10.1016-2Fj.xgen.2025.100814-1f086c51.json'), 'utf8');
    const work = parseOpenAlexWork(body);
    expect(work.abstract).toBe('');
    const spy = scriptedEngine();
    const { report, diff } = await addPaper(original, work, { engine: spy, source: 'openalex' });
    expect(report).toBe(original);
    expect(spy.calls).toEqual([]);
    expect(diff.paper).toMatchObject({ status: 'not-included', reason: 'no abstract', source: 'openalex' });
    expect(describeChanges(diff)).toMatch(/^\w+ et al\. 2025 has no abstract in openalex, so it cannot add claims or evidence; the report is unchanged\.$/);
  });

  it('a report saved without its papers\' abstracts cannot be re-verified: a clear error', async () => {
    const old = { ...original, references: original.references.map(({ abstract: _abstract, ...r }) => r) };
    await expect(addPaper(old, await paper(ADDED), { engine })).rejects.toThrow(/was saved without its papers' abstracts .* run its question again instead\./);
  });

  it('keeps what the team added to a claim (extra fields such as flags) on its match, and leaves room for new claims', async () => {
    const noted = { ...original, claims: original.claims.map((c) => ({ ...c, teamNote: `note on ${c.id}` })) };
    let maxClaims = 0;
    const spy = scriptedEngine({ extract: (input, ctx) => ((maxClaims = input.maxClaims), engine.extract(input, ctx)) });
    const { report, diff } = await addPaper(noted, await paper(ADDED), { engine: spy });
    expect(maxClaims).toBe(Math.max(8, original.claims.length + 2));
    const kept = report.claims.filter((c) => !diff.newClaims.some((n) => n.id === c.id)) as (Claim & { teamNote?: string })[];
    expect(kept.length).toBeGreaterThan(0);
    for (const claim of kept) {
      const was = noted.claims.find((c) => c.paperId === claim.paperId && c.quote === claim.quote)!;
      expect(claim.teamNote).toBe(`note on ${was.id}`);
    }
    for (const n of diff.newClaims) expect((report.claims[n.number - 1] as Claim & { teamNote?: string }).teamNote).toBeUndefined();
  });
});

describe('describeChanges', () => {
  const base: ReportDiff = {
    of: 'r1',
    report: 'r2',
    paper: { id: 'pubmed:1', title: 'A trial', label: 'Smith et al. 2021', status: 'added', reference: 14 },
    newClaims: [],
    movedClaims: [],
    newEvidence: [],
    removedClaims: [],
    unchangedClaims: 5,
    answer: { before: { verdict: 'yes', confidence: 'medium' }, after: { verdict: 'yes', confidence: 'medium' }, moved: false },
    droppedPapers: [],
  };
  const claim = { id: 'c9', text: 'T.', paperId: 'pubmed:1', verdict: 'insufficient' as const, confidence: 0.2 };

  it('says what changed, claim by claim, and the answer', () => {
    expect(describeChanges(base)).toBe('Added [14] Smith et al. 2021. No claim changed; the answer is unchanged: yes (medium confidence).');
    expect(
      describeChanges({
        ...base,
        newClaims: [
          { ...claim, number: 9, fromAddedPaper: true },
          { ...claim, id: 'c10', number: 10, fromAddedPaper: true },
        ],
        movedClaims: [{ number: 3, was: 3, id: 'c3', text: 'X.', paperId: 'p', before: { verdict: 'supported', confidence: 0.7 }, after: { verdict: 'contradicted', confidence: 0.6 }, addedEvidence: 'contradicts' }],
      }),
    ).toBe(
      'Added [14] Smith et al. 2021. 2 new claims (claims 9 and 10, from the added paper); claim 3 moved from supported to contradicted (the added paper contradicts it); the answer is unchanged: yes (medium confidence).',
    );
    expect(
      describeChanges({
        ...base,
        newClaims: [{ ...claim, number: 2, paperId: 'corpus:5', fromAddedPaper: false }],
        movedClaims: [{ number: 4, was: 3, id: 'c4', text: 'X.', paperId: 'p', before: { verdict: 'supported', confidence: 0.62 }, after: { verdict: 'supported', confidence: 0.81 } }],
        newEvidence: [{ number: 5, id: 'c5', stance: 'supports' }],
        removedClaims: [{ number: 7, id: 'c7', text: 'Y.', paperId: 'q', verdict: 'insufficient', confidence: 0.1 }],
        answer: { before: { verdict: 'insufficient', confidence: 'low' }, after: { verdict: 'yes', confidence: 'low' }, moved: true },
        droppedPapers: ['corpus:9'],
      }),
    ).toBe(
      'Added [14] Smith et al. 2021. 1 new claim (claim 2, from the report’s own papers); claim 4 (was claim 3) stayed supported, its confidence moving from 0.62 to 0.81; ' +
        'the added paper supports claim 5; earlier claim 7 dropped out; the answer moved from insufficient evidence (low confidence) to yes (low confidence). ' +
        '1 paper of the report did not pass screening again and is no longer included.',
    );
  });

  it('says why nothing changed', () => {
    expect(describeChanges({ ...base, paper: { ...base.paper, status: 'already-included', reference: 3 } })).toBe('[3] Smith et al. 2021 is already in the report; nothing was re-run.');
    const out = { ...base.paper, status: 'not-included' as const };
    delete (out as { reference?: number }).reference;
    expect(describeChanges({ ...base, paper: { ...out, reason: 'duplicate' } })).toBe('Smith et al. 2021 is the same paper as one already in the report; the report is unchanged.');
    expect(describeChanges({ ...base, paper: { ...out, reason: 'no abstract', source: 'crossref' } })).toBe(
      'Smith et al. 2021 has no abstract in crossref, so it cannot add claims or evidence; the report is unchanged.',
    );
  });

  it('labels a paper by its first author and year, or its title', () => {
    expect(paperLabel({ title: 'T', authors: ['Jane Smith'], year: 2021 })).toBe('Smith 2021');
    expect(paperLabel({ title: 'T', authors: ['Smith, Jane', 'Bob Jones'] })).toBe('Smith et al.');
    expect(paperLabel({ title: 'Vitamin D and fractures.', authors: [], year: 2019 })).toBe('“Vitamin D and fractures” (2019)');
    // Database text on its way to a chat: mentions made inert.
    expect(paperLabel({ title: '<!channel> read this paper', authors: [] })).toBe('“@channel read this paper”');
    expect(paperLabel({ title: 'T', authors: ['<@U123> Smith'], year: 2020 })).toBe('Smith 2020');
  });
});
