/**
 * Composition without a model: a title, the structured answer (`report.answer`) and an abstract that
 * leads with it.
 *
 * For a yes/no question the answer rests on the papers that decide the question's own proposition
 * (`judge.ts`) and on the claims quoting their findings: yes (or no) when the deciding papers agree,
 * `mixed` when they disagree, `insufficient` when none decides it (said plainly, with what is missing:
 * the exposure, the outcome or the population). Its basis is exactly the claims that quote those
 * findings, so the answer and the claims cannot visibly disagree; the core checks that again
 * (`reconcileAnswer`). Open and comparison questions get `not-applicable` and a synthesis of findings.
 */
import type { ComposeInput, Composition } from '../engine.js';
import type { Answer, Claim, Paper } from '../../model.js';
import { termSet } from '../../text/tokens.js';
import { addressesFacet, compileCoreFacets, facetMatch } from './facets.js';
import { buildFindings, describeScaling } from './findings-table.js';
import { judgePapers, propositionOf, type PaperJudgement } from './judge.js';
import { createPaperCache } from './verify.js';
import type { PreparedPaper } from './verify-model.js';

/** Longest title, in characters (Slack headers take 150). */
export const MAX_TITLE_LENGTH = 150;

const defaultPrepare = createPaperCache();

/** Weight of a paper decided by the direction of its finding alone (a model-decided paper weighs its probability). */
const DIRECTION_WEIGHT = 0.5;

/** Shortens text at a word boundary, marking the cut with an ellipsis. */
export function shortenAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

function citeList(numbers: readonly number[]): string {
  const unique = [...new Set(numbers)].filter((n) => n > 0).sort((a, b) => a - b);
  return unique.length ? ` [${unique.join(', ')}]` : '';
}

/** Writes the title, the structured answer, the abstract and the findings table. */
export function composeReport(input: ComposeInput, prepare: (paper: Paper) => PreparedPaper = defaultPrepare): Composition {
  const title = shortenAtWord(`Evidence synthesis: ${input.question}`, MAX_TITLE_LENGTH);
  const refNumber = new Map(input.references.map((r, i) => [r.id, i + 1]));
  const cite = (paperId: string) => refNumber.get(paperId) ?? 0;
  const findings = buildFindings(input.claims, input.plan.facets, new Map(input.papers.map((p) => [p.id, p.title])));
  const { gap, ...answer } = structuredAnswer(input, prepare, cite, findings);

  const parts: string[] = [answer.text];
  if (input.claims.length === 0) {
    const m = input.methodology;
    parts.push(
      m.included === 0
        ? m.identified === 0
          ? 'The search returned no records.'
          : `Of ${m.identified} records found, none passed screening as relevant to the question.`
        : `${m.included} paper(s) were screened in, but none states a finding on the question's exposure and outcome.`,
    );
  } else {
    const basis = new Set(answer.basis);
    // Claims the answer already quotes are not quoted twice.
    const shown = [...input.claims]
      .filter((c) => !answer.text.includes(c.text))
      .sort((a, b) => Number(basis.has(b.id)) - Number(basis.has(a.id)) || rank(b) - rank(a))
      .slice(0, 2);
    for (const claim of shown) {
      const label = claim.verification.verdict === 'supported' ? 'A finding supported by other papers' : claim.verification.verdict === 'contradicted' ? 'A finding other papers contradict' : 'One paper reports';
      parts.push(`${label}: "${claim.text}" [${cite(claim.paperId)}]`);
    }
    const supported = input.claims.filter((c) => c.verification.verdict === 'supported').length;
    const contradicted = input.claims.filter((c) => c.verification.verdict === 'contradicted').length;
    const n = input.claims.length;
    const lacking = n - supported - contradicted;
    parts.push(
      n === 1
        ? `The claim is ${supported ? 'supported by independent evidence' : contradicted ? 'contradicted by other included papers' : 'not yet corroborated by another included paper'}.`
        : `Of the ${n} claims, ${supported} ${supported === 1 ? 'is' : 'are'} supported by independent evidence, ${contradicted} ${contradicted === 1 ? 'is' : 'are'} contradicted and ${lacking} ${lacking === 1 ? 'lacks' : 'lack'} sufficient evidence.`,
    );
  }
  if (input.gaps.length > 0) parts.push(`Not addressed by the retrieved sources: ${input.gaps.map((g) => g.replace(/\.$/, '')).join('; ')}.`);
  parts.push('This is an automated synthesis of abstracts; check the cited papers before relying on it.');
  return { title, abstract: parts.join(' '), answer, findings, ...(gap ? { gaps: [gap] } : {}) };
}

function rank(c: Claim): number {
  return (c.verification.verdict === 'supported' ? 2 : c.verification.verdict === 'insufficient' ? 1 : 0) + c.verification.confidence;
}

type Drafted = Answer & { gap?: string };

function structuredAnswer(
  input: ComposeInput,
  prepare: (paper: Paper) => PreparedPaper,
  cite: (paperId: string) => number,
  findings: ReturnType<typeof buildFindings>,
): Drafted {
  const facets = input.plan.facets;
  const proposition = propositionOf(facets);
  if (!proposition) return openAnswer(input, cite, findings);

  const judgements = judgePapers(proposition, input.papers, prepare);
  // A paper counts when it decides the proposition, names the population, and a claim quotes its finding.
  const claimFor = (j: PaperJudgement) => input.claims.find((c) => c.paperId === j.paper.id && c.text === j.finding);
  const deciding = judgements.filter((j) => j.lean !== 0 && j.population && claimFor(j) !== undefined);
  const yes = deciding.filter((j) => j.lean > 0);
  const no = deciding.filter((j) => j.lean < 0);
  // A finding contradicted by other papers still counts, but against the side it is on.
  const weight = (list: PaperJudgement[]) =>
    list.reduce((s, j) => s + (claimFor(j)!.verification.verdict === 'contradicted' ? 0.3 : 1) * (j.byDirection ? DIRECTION_WEIGHT : Math.max(j.support, j.contradict)), 0);
  const yesWeight = weight(yes);
  const noWeight = weight(no);
  const statement = facets!.proposition!.replace(/\s+/g, ' ');

  if (deciding.length === 0) {
    const core = compileCoreFacets(facets!);
    const docs = input.papers.map((p) => facetMatch(core, prepare(p).terms));
    const missing = !docs.some((d) => d.exposure)
      ? `no included paper is about ${facets!.exposure.join(' ') || 'the exposure'}`
      : !docs.some((d) => d.exposure && d.outcome)
        ? `no included paper reports ${facets!.outcome.join(' ') || 'the outcome'} for ${facets!.exposure.join(' ')}`
        : core.population && !docs.some((d) => d.exposure && d.outcome && d.population)
          ? `no included paper studies ${facets!.population.join(' ')}`
          : 'none states a finding that decides it';
    const gap = core.population && missing.startsWith('no included paper studies') ? `No included paper studies the question's population (${facets!.population.join(' ')}).` : undefined;
    return {
      verdict: 'insufficient',
      confidence: input.papers.length >= 10 ? 'medium' : 'low',
      basis: [],
      text: `Insufficient evidence: ${missing.startsWith('none') ? `of the ${input.papers.length} included paper(s), ${missing}` : `${missing} (${input.papers.length} included)`}, so this synthesis cannot say whether ${statement}.`,
      ...(gap ? { gap } : {}),
    };
  }

  const basisOf = (list: PaperJudgement[]) => list.map((j) => claimFor(j)!.id);
  const cites = (list: PaperJudgement[]) => citeList(list.map((j) => cite(j.paper.id)));
  const papers = (n: number) => (n === 1 ? 'one paper' : `${n} papers`);
  let verdict: Answer['verdict'];
  let basis: string[];
  let text: string;
  if (no.length === 0 || yesWeight >= 2 * noWeight) {
    verdict = 'yes';
    basis = basisOf(yes);
    text =
      yes.length === 1 && no.length === 0
        ? `Yes, tentatively: one paper's finding points that way${cites(yes)}: "${yes[0]!.finding}"`
        : `Yes${no.length ? ', on balance' : ''}: ${papers(yes.length)} ${yes.length === 1 ? 'finds' : 'find'} that ${statement}${cites(yes)}${no.length ? `; ${papers(no.length)} ${no.length === 1 ? 'finds' : 'find'} otherwise${cites(no)}` : ''}.`;
  } else if (yes.length === 0 || noWeight >= 2 * yesWeight) {
    verdict = 'no';
    basis = basisOf(no);
    text =
      no.length === 1 && yes.length === 0
        ? `No, tentatively: one paper's finding points against it${cites(no)}: "${no[0]!.finding}"`
        : `No${yes.length ? ', on balance' : ''}: ${papers(no.length)} ${no.length === 1 ? 'reports' : 'report'} findings against the claim that ${statement}${cites(no)}${yes.length ? `; ${papers(yes.length)} ${yes.length === 1 ? 'supports' : 'support'} it${cites(yes)}` : ''}.`;
  } else {
    verdict = 'mixed';
    basis = [...basisOf(yes), ...basisOf(no)];
    text = `Mixed: ${papers(yes.length)} ${yes.length === 1 ? 'supports' : 'support'} the claim that ${statement}${cites(yes)}, ${papers(no.length)} ${no.length === 1 ? 'contradicts' : 'contradict'} it${cites(no)}.`;
  }
  const side = verdict === 'yes' ? yes : verdict === 'no' ? no : deciding;
  const strong = side.filter((j) => Math.max(j.support, j.contradict) >= 0.75).length;
  const confidence: Answer['confidence'] = verdict === 'mixed' ? 'low' : side.length >= 2 && strong >= 1 && (verdict === 'yes' ? no : yes).length === 0 ? 'high' : side.length >= 2 || strong >= 1 ? 'medium' : 'low';
  return { verdict, confidence, basis, text };
}

/** An open or comparison question: no yes/no verdict, a synthesis of the findings instead. */
function openAnswer(input: ComposeInput, cite: (paperId: string) => number, findings: ReturnType<typeof buildFindings>): Drafted {
  if (input.claims.length === 0) {
    return {
      verdict: 'not-applicable',
      confidence: 'low',
      basis: [],
      text: `No included paper states a finding on ${input.plan.facets?.exposure.join(' ') || 'the question'}; this synthesis cannot answer it.`,
    };
  }
  const papers = new Set(input.claims.map((c) => c.paperId));
  const scaling = describeScaling(findings, (id) => `[${cite(id)}]`);
  const text =
    `${input.claims.length} finding(s) from ${papers.size} paper(s) bear on the question${citeList(input.claims.map((c) => cite(c.paperId)))}` +
    (scaling ? `: ${scaling}` : '.');
  const supported = input.claims.filter((c) => c.verification.verdict === 'supported').length;
  const gap = comparisonGap(input);
  return {
    ...(gap ? { gap } : {}),
    verdict: 'not-applicable',
    confidence: supported >= 2 ? 'medium' : 'low',
    basis: input.claims.filter((c) => c.verification.verdict !== 'contradicted').map((c) => c.id),
    text,
  };
}

/**
 * For a comparison, the thing compared that no claim reports in the question's setting ("Llama 2" on
 * "BigCodeBench"), said plainly: the comparison the question asks for cannot be made from these papers.
 */
function comparisonGap(input: ComposeInput): string | undefined {
  const facets = input.plan.facets;
  if (!facets || facets.compared.length < 2) return undefined;
  const core = compileCoreFacets(facets);
  const claimTerms = input.claims.map((c) => termSet(c.text));
  for (const [i, thing] of core.compared.entries()) {
    const reported = claimTerms.some((t) => addressesFacet(thing, t) && (!core.population || addressesFacet(core.population, t)));
    if (!reported) {
      const setting = facets.population.length > 0 ? ` on ${facets.population.join(' ')}` : facets.outcome.length > 0 ? ` for ${facets.outcome.join(' ')}` : '';
      return `No included finding reports ${facets.compared[i]!.join(' ')}${setting}, so that comparison cannot be made from these papers.`;
    }
  }
  return undefined;
}
