/**
 * A scripted "model" for the fake endpoint that answers every step validly from the data blocks of
 * the request, deterministically: the plan copies the question's words, extraction quotes each
 * paper's last sentence(s), verification cites the first passage, reviewers give fixed scores, the
 * answer cites the first references. Each step can be overridden to script a misbehaviour.
 */
import { dataOf, type FakeReply, type RecordedRequest } from './fake-llm-server.js';

interface PromptPaper {
  id: string;
  title: string;
  abstract: string;
}

interface PassageGroup {
  id: string;
  sentences: string[];
}

/** Per-step overrides: return a reply to use it, or undefined for the default answer. */
export type StepOverrides = Partial<Record<'plan' | 'extract' | 'verify' | 'review' | 'compose', (request: RecordedRequest) => FakeReply | undefined>>;

const QUESTION_WORDS = new Set(['does', 'do', 'is', 'are', 'can', 'what', 'how', 'the', 'in', 'of', 'and', 'to', 'a', 'an', 'reduce', 'improve', 'increase', 'with', 'from', 'for', 'older', 'adults', 'risk']);

/** Splits an abstract into sentences the way a reader would (enough for the fixtures). */
export function sentencesOf(text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z0-9])/).filter((s) => s.split(' ').length >= 5);
}

/** Key terms for a question: its content words, with "vitamin D"-style pairs kept together. */
export function keyTermsOf(question: string): string[] {
  const words = question.replace(/[?.,]/g, '').split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (QUESTION_WORDS.has(w.toLowerCase())) continue;
    const next = words[i + 1];
    if (next && /^[A-Z0-9]{1,2}$/.test(next)) {
      out.push(`${w} ${next}`);
      i++;
    } else if (w.length > 3) out.push(w);
  }
  return out.slice(0, 6);
}

/** One finding per paper: the first percentage of its abstract, copied with its sentence. */
export function percentFindings(papers: PromptPaper[]): { paperId: string; subject: string; measure: string; value: string; condition: string | null; quote: string }[] {
  return papers.flatMap((p) => {
    const sentence = sentencesOf(p.abstract).find((s) => /\d+(?:\.\d+)?%/.test(s));
    const value = sentence?.match(/\d+(?:\.\d+)?%/)?.[0];
    return sentence && value ? [{ paperId: p.id, subject: p.title, measure: 'change', value, condition: null, quote: sentence }] : [];
  });
}

/** A compose reply with the given title, abstract and gaps, an `insufficient` answer and no findings. */
export function composeJson(parts: { title: string; abstract: string; gaps?: string[] }): { json: unknown } {
  return {
    json: {
      gaps: [],
      ...parts,
      answer: { verdict: 'insufficient', confidence: 'low', basis: [], text: 'The evidence is insufficient to decide the question.' },
      findings: [],
    },
  };
}

/** The default answers. */
export function defaultAnswer(request: RecordedRequest): FakeReply {
  switch (request.step) {
    case 'plan': {
      const question = dataOf<string>(request.user, 'question') ?? '';
      const keyTerms = keyTermsOf(question);
      const query = keyTerms.join(' ');
      return {
        json: {
          keyTerms,
          searchTerms: ['randomized controlled trial'],
          query,
          perSource: { openalex: query, arxiv: query, crossref: query, semanticscholar: query, pubmed: `${query} randomized` },
          facets: /^(does|is|can)\b/i.test(question)
            ? { kind: 'effect', exposure: keyTerms.slice(0, 1), outcome: keyTerms.slice(-1), population: [], compared: [], direction: /\breduce\b/i.test(question) ? 'reduce' : 'any', proposition: question.replace(/\?$/, '.') }
            : { kind: 'open', exposure: [], outcome: [], population: [], compared: [], direction: 'any', proposition: null },
        },
      };
    }
    case 'extract': {
      const papers = dataOf<PromptPaper[]>(request.user, 'papers') ?? [];
      const findings = papers.flatMap((p, i) => {
        const sentences = sentencesOf(p.abstract);
        const last = sentences.at(-1);
        const before = sentences.at(-2);
        const out = [];
        if (last) out.push({ paperId: p.id, quote: last, claim: last, relevance: Math.max(0.1, 0.95 - i * 0.05) });
        if (before) out.push({ paperId: p.id, quote: before, claim: before, relevance: Math.max(0.05, 0.6 - i * 0.05) });
        return out;
      });
      return { json: { findings } };
    }
    case 'verify': {
      const groups = dataOf<PassageGroup[]>(request.user, 'passages') ?? [];
      const first = groups[0];
      if (!first || first.sentences.length === 0) return { json: { evidence: [], verdict: 'insufficient', confidence: 0.2, rationale: 'No passage bears on the claim.' } };
      return {
        json: {
          evidence: [{ paperId: first.id, quote: first.sentences[0], stance: 'supports' }],
          verdict: 'supported',
          confidence: 0.75,
          rationale: 'The first passage reports the same finding.',
        },
      };
    }
    case 'review': {
      const score = { coverage: 7, evidence: 6, sources: 5 }[request.reviewer ?? 'coverage'] ?? 6;
      return { json: { score, rationale: `The ${request.reviewer} rubric is partly met by the claims.` } };
    }
    case 'compose': {
      const synthesis = dataOf<{ references: { n: number }[]; claims: { id: string; ref: number }[] }>(request.user, 'synthesis');
      const refs = (synthesis?.references ?? []).slice(0, 2).map((r) => r.n);
      const first = synthesis?.claims[0];
      return {
        json: {
          title: 'What the included studies say',
          abstract: `The evidence suggests a modest benefit [${refs[0] ?? 1}], although one study disagrees [${refs[1] ?? refs[0] ?? 1}]. The strength of the evidence is moderate.`,
          gaps: [],
          answer: {
            verdict: 'yes',
            confidence: 'medium',
            basis: first ? [first.id] : [],
            text: `Yes: the evidence suggests a modest benefit [${first?.ref ?? 1}].`,
          },
          findings: percentFindings(dataOf<PromptPaper[]>(request.user, 'papers') ?? []),
        },
      };
    }
    default:
      return { status: 400, message: `The fake does not know the step of this prompt: ${request.system.slice(0, 80)}` };
  }
}

/** A script answering every step, with optional per-step overrides. */
export function fakeModel(overrides: StepOverrides = {}): (request: RecordedRequest) => FakeReply {
  return (request) => {
    const override = request.step ? overrides[request.step as keyof StepOverrides]?.(request) : undefined;
    return override ?? defaultAnswer(request);
  };
}
