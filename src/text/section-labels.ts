/**
 * Structured-abstract section labels (`BACKGROUND `, `OBJECTIVE:`, `DESIGN, SETTING, AND
 * PARTICIPANTS `, `Conclusions:`, `BackgroundIndividuals...`) and the rhetorical role each one names.
 * A label is a chain of known heading words joined by `AND`, `,`, `&` or `/`; its roles are the union
 * of its parts' roles, so `METHODS AND RESULTS` allows two roles and `FUNDING` allows none.
 */

/** The rhetorical roles of abstract sentences, in the order they usually come. */
export const SENTENCE_ROLES = ['background', 'objective', 'methods', 'results', 'conclusions'] as const;
/** One of {@link SENTENCE_ROLES}. */
export type SentenceRole = (typeof SENTENCE_ROLES)[number];

// Heading words as PubMed and SciFact write them; `null` marks headings that name no role.
const HEADINGS: Record<string, SentenceRole | null> = {
  BACKGROUND: 'background',
  'SUMMARY OF BACKGROUND DATA': 'background',
  'WHAT IS KNOWN ALREADY': 'background',
  CONTEXT: 'background',
  INTRODUCTION: 'background',
  IMPORTANCE: 'background',
  RATIONALE: 'background',
  MOTIVATION: 'background',
  OBJECTIVE: 'objective',
  OBJECTIVES: 'objective',
  'STUDY OBJECTIVE': 'objective',
  'STUDY OBJECTIVES': 'objective',
  AIM: 'objective',
  AIMS: 'objective',
  'AIM OF THE STUDY': 'objective',
  GOAL: 'objective',
  GOALS: 'objective',
  PURPOSE: 'objective',
  'PURPOSE OF REVIEW': 'objective',
  'PURPOSE OF THE STUDY': 'objective',
  HYPOTHESIS: 'objective',
  'STUDY QUESTION': 'objective',
  METHOD: 'methods',
  METHODS: 'methods',
  METHODOLOGY: 'methods',
  MATERIAL: 'methods',
  MATERIALS: 'methods',
  DESIGN: 'methods',
  'STUDY DESIGN': 'methods',
  'EXPERIMENTAL DESIGN': 'methods',
  'RESEARCH DESIGN': 'methods',
  'TRIAL DESIGN': 'methods',
  SETTING: 'methods',
  SETTINGS: 'methods',
  PARTICIPANTS: 'methods',
  PATIENTS: 'methods',
  SUBJECTS: 'methods',
  POPULATION: 'methods',
  INTERVENTION: 'methods',
  INTERVENTIONS: 'methods',
  EXPOSURE: 'methods',
  EXPOSURES: 'methods',
  MEASUREMENT: 'methods',
  MEASUREMENTS: 'methods',
  MEASURES: 'methods',
  'MAIN OUTCOME': 'methods',
  'MAIN OUTCOMES': 'methods',
  'MAIN OUTCOME MEASURE': 'methods',
  'MAIN OUTCOME MEASURES': 'methods',
  'MAIN OUTCOME MEASUREMENTS': 'methods',
  'OUTCOME MEASURE': 'methods',
  'OUTCOME MEASURES': 'methods',
  'DATA SOURCE': 'methods',
  'DATA SOURCES': 'methods',
  'STUDY SELECTION': 'methods',
  'DATA EXTRACTION': 'methods',
  'DATA COLLECTION': 'methods',
  ANALYSIS: 'methods',
  'SELECTION CRITERIA': 'methods',
  'SEARCH STRATEGY': 'methods',
  'SEARCH METHODS': 'methods',
  'REVIEW METHODS': 'methods',
  'EVIDENCE ACQUISITION': 'methods',
  APPROACH: 'methods',
  PROCEDURES: 'methods',
  RESULT: 'results',
  RESULTS: 'results',
  'MAIN RESULTS': 'results',
  FINDINGS: 'results',
  'PRINCIPAL FINDINGS': 'results',
  'RECENT FINDINGS': 'results',
  'DATA SYNTHESIS': 'results',
  'EVIDENCE SYNTHESIS': 'results',
  SYNTHESIS: 'results',
  OBSERVATIONS: 'results',
  CONCLUSION: 'conclusions',
  'SUMMARY ANSWER': 'conclusions',
  CONCLUSIONS: 'conclusions',
  "AUTHORS' CONCLUSIONS": 'conclusions',
  'AUTHORS’ CONCLUSIONS': 'conclusions',
  'AUTHORS CONCLUSIONS': 'conclusions',
  INTERPRETATION: 'conclusions',
  SIGNIFICANCE: 'conclusions',
  'GENERAL SIGNIFICANCE': 'conclusions',
  RELEVANCE: 'conclusions',
  'CLINICAL RELEVANCE': 'conclusions',
  IMPLICATIONS: 'conclusions',
  DISCUSSION: 'conclusions',
  LIMITATIONS: 'conclusions',
  FUNDING: null,
  'TRIAL REGISTRATION': null,
  'CLINICAL TRIAL REGISTRATION': null,
  REGISTRATION: null,
  UNLABELLED: null,
  UNLABELED: null,
  SUMMARY: null,
  AVAILABILITY: null,
  IMPLEMENTATION: null,
  CONTACT: null,
  'SUPPLEMENTARY INFORMATION': null,
};

const escape = (s: string): string => s.replace(/ /g, '\\s+');
// Longest headings first so `MAIN OUTCOME MEASURES` wins over `MAIN OUTCOME`.
const HEADING = new RegExp(
  `(${Object.keys(HEADINGS)
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join('|')})`,
  'y',
);
const JOINER = /\s*(?:,\s*(?:AND\s+)?|&|\/)\s*|\s+AND\s+/y;
// What may follow a label: `:`/`.`, a spaced dash, the end, a space before a capital or digit, or
// (SciFact's glued form `BackgroundIndividuals`) a capitalised word directly.
const AFTER = /^(?:\s*[:.]\s*|\s+[-–—]\s+|\s*$|\s+(?=[\p{Lu}\p{N}(["“‘'])|(?=\p{Lu}\p{Ll}))/u;

/** A label found at a sentence's start. */
export interface SectionLabel {
  /** The label as written, e.g. `DESIGN, SETTING, AND PARTICIPANTS`. */
  label: string;
  /** The roles the label names (empty for headings such as `FUNDING` that name none). */
  roles: readonly SentenceRole[];
  /** The sentence with the label removed (may be empty when the label stood alone). */
  text: string;
}

/** Each end offset (in `upper`) at which a chain of headings starting at 0 ends, with its headings. */
function headingChains(upper: string): { end: number; headings: string[] }[] {
  const out: { end: number; headings: string[] }[] = [];
  const headings: string[] = [];
  let pos = 0;
  for (;;) {
    HEADING.lastIndex = pos;
    const m = HEADING.exec(upper);
    if (!m) break;
    headings.push(m[1]!.replace(/\s+/g, ' '));
    pos = HEADING.lastIndex;
    out.push({ end: pos, headings: [...headings] });
    JOINER.lastIndex = pos;
    if (!JOINER.exec(upper)) break;
    pos = JOINER.lastIndex;
  }
  return out;
}

/**
 * The section label at the start of `sentence`, or `undefined`. The label must be upper case
 * (`RESULTS Of the 32,441`) or capitalised (`Conclusions:`, `Purpose To evaluate`), and end where
 * a label ends (so `Results of experimental studies` is a sentence, not a label).
 */
export function parseSectionLabel(sentence: string): SectionLabel | undefined {
  const s = sentence.trimStart();
  if (!/^\p{Lu}/u.test(s)) return undefined;
  // Labels are ASCII, so offsets in the upper-cased prefix are offsets in the sentence.
  const upper = s.slice(0, 80).toUpperCase();
  const chains = headingChains(upper);
  for (let i = chains.length - 1; i >= 0; i--) {
    const { end, headings } = chains[i]!;
    const rest = s.slice(end);
    const after = AFTER.exec(rest);
    if (!after) continue;
    const roles = [...new Set(headings.map((h) => HEADINGS[h]).filter((r): r is SentenceRole => r != null))];
    roles.sort((a, b) => SENTENCE_ROLES.indexOf(a) - SENTENCE_ROLES.indexOf(b));
    const text = rest.slice(after[0].length).trim();
    // "SUMMARY Background Direct oral ...": a heading that names no role may wrap a real one.
    const inner = roles.length === 0 ? parseSectionLabel(text) : undefined;
    if (inner) return { label: s.slice(0, s.length - inner.text.length).trim(), roles: inner.roles, text: inner.text };
    return { label: s.slice(0, end), roles, text };
  }
  return undefined;
}
