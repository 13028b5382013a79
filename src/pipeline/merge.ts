/**
 * Merging the records of several sources into unique papers. Two records are the same paper when they
 * share a normalised DOI, an arXiv id (version dropped; arXiv's own DOIs count as arXiv ids), a PMID,
 * an OpenAlex or Semantic Scholar id, or a normalised title and year (never joining two records whose
 * DOIs differ). The merged paper keeps every id and source, the fullest abstract and the best
 * metadata (a publisher's DOI over a preprint server's).
 */
import type { Paper, PaperIds } from '../model.js';

/** Lower-cased DOI without resolver prefix or `doi:` scheme. */
export function normalizeDoi(doi: string | undefined): string | undefined {
  if (!doi) return undefined;
  const d = doi
    .trim()
    .toLowerCase()
    .replace(/^(?:https?:\/\/)?(?:dx\.)?doi\.org\//, '')
    .replace(/^doi:\s*/, '');
  return /^10\.\S+\/\S+$/.test(d) ? d : undefined;
}

/** arXiv id without version or `arXiv:` prefix: `2104.12255v1` -> `2104.12255`, `hep-th/9901001v2` -> `hep-th/9901001`. */
export function normalizeArxivId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = id
    .trim()
    .toLowerCase()
    .replace(/^(?:https?:\/\/arxiv\.org\/(?:abs|pdf)\/)|^arxiv:/, '')
    .replace(/\.pdf$/, '')
    .match(/^([a-z-]+(?:\.[a-z]{2})?\/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?$/);
  return m?.[1];
}

/** Title folded for matching: lower case, letters and digits only, single spaces. */
export function normalizeTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/<[^>]+>/g, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** DOIs arXiv mints for its preprints (`10.48550/arXiv.2312.07559`) name the arXiv id too. */
const ARXIV_DOI = /^10\.48550\/arxiv\.(.+)$/;

function keysOf(paper: Paper): string[] {
  const keys: string[] = [];
  const doi = normalizeDoi(paper.ids.doi ?? paper.doi);
  if (doi) keys.push(`doi:${doi}`);
  const arxiv = normalizeArxivId(paper.ids.arxiv) ?? normalizeArxivId(doi?.match(ARXIV_DOI)?.[1]);
  if (arxiv) keys.push(`arxiv:${arxiv}`);
  if (paper.ids.pmid) keys.push(`pmid:${paper.ids.pmid.trim()}`);
  if (paper.ids.openalex) keys.push(`openalex:${paper.ids.openalex.toLowerCase()}`);
  if (paper.ids.s2) keys.push(`s2:${paper.ids.s2.toLowerCase()}`);
  const title = normalizeTitle(paper.title);
  // Titles alone are too weak a key when short ("Introduction", "Editorial").
  if (title.split(' ').length >= 4) keys.push(`title:${title}|${paper.year ?? ''}`);
  return keys;
}

/** The result of merging: unique papers, in first-seen order. */
export interface MergeResult {
  papers: Paper[];
  /** How many input records were folded into another. */
  duplicates: number;
}

/** Merges duplicate records across and within sources. Deterministic for the same input order. */
export function mergePapers(records: readonly Paper[]): MergeResult {
  const parent = records.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  // DOIs of each group (by root), so a title match never joins two records with different DOIs
  // (a journal version and its erratum, or two papers that share a generic title).
  const dois = records.map((p) => {
    const doi = normalizeDoi(p.ids.doi ?? p.doi);
    return new Set(doi ? [doi] : []);
  });
  const conflict = (a: number, b: number) =>
    dois[a]!.size > 0 && dois[b]!.size > 0 && ![...dois[a]!].some((d) => dois[b]!.has(d));
  const owner = new Map<string, number>();
  records.forEach((paper, i) => {
    for (const key of keysOf(paper)) {
      const j = owner.get(key);
      if (j === undefined) owner.set(key, i);
      else {
        const a = find(i);
        const b = find(j);
        if (a === b || (key.startsWith('title:') && conflict(a, b))) continue;
        const [root, child] = a < b ? [a, b] : [b, a];
        parent[child] = root;
        for (const d of dois[child]!) dois[root]!.add(d);
      }
    }
  });
  const groups = new Map<number, Paper[]>();
  records.forEach((paper, i) => {
    const root = find(i);
    if (!groups.has(root)) groups.set(root, []);
    groups.get(root)!.push(paper);
  });
  const papers = [...groups.values()].map(mergeGroup);
  return { papers, duplicates: records.length - papers.length };
}

/** DOIs of preprint servers (arXiv, bioRxiv/medRxiv, SSRN, Research Square, Preprints.org). */
function isPreprintDoi(doi: string): boolean {
  return /^(?:https?:\/\/(?:dx\.)?doi\.org\/)?10\.(?:48550|1101|2139|21203|20944)\//i.test(doi.trim());
}

function mergeGroup(group: Paper[]): Paper {
  if (group.length === 1) return group[0]!;
  const first = group[0]!;
  const fullest = group.reduce((best, p) => (p.abstract.length > best.abstract.length ? p : best), first);
  const pick = <K extends keyof Paper>(key: K): Paper[K] | undefined => group.find((p) => p[key] !== undefined && p[key] !== '')?.[key];
  const ids: PaperIds = {};
  for (const p of group) {
    for (const [k, v] of Object.entries(p.ids) as [keyof PaperIds, string | undefined][]) {
      if (v && !ids[k]) ids[k] = v;
    }
  }
  const publisherDoi = group.map((p) => normalizeDoi(p.ids.doi)).find((d) => d && !isPreprintDoi(d));
  if (publisherDoi) ids.doi = publisherDoi;
  const authors = group.reduce((best, p) => (p.authors.length > best.length ? p.authors : best), first.authors);
  const citationCounts = group.map((p) => p.citationCount).filter((c): c is number => c !== undefined);
  const scores = group.map((p) => p.sourceScore).filter((s): s is number => s !== undefined);
  const merged: Paper = {
    id: first.id,
    title: group.reduce((best, p) => (p.title.length > best.length ? p.title : best), first.title),
    abstract: fullest.abstract,
    authors,
    ids,
    sources: [...new Set(group.flatMap((p) => p.sources))],
  };
  if (fullest.sentences) merged.sentences = fullest.sentences;
  const year = pick('year');
  if (year !== undefined) merged.year = year;
  const venue = group.map((p) => p.venue).find((v) => v && !/^arxiv\b/i.test(v)) ?? pick('venue');
  if (venue) merged.venue = venue;
  // The publisher's DOI is the better citation than a preprint server's.
  const doi = group.map((p) => p.doi).find((d) => d && !isPreprintDoi(d)) ?? pick('doi');
  if (doi) merged.doi = doi;
  const url = pick('url');
  if (url) merged.url = url;
  if (citationCounts.length) merged.citationCount = Math.max(...citationCounts);
  if (scores.length) merged.sourceScore = Math.max(...scores);
  return merged;
}
