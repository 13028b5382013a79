/**
 * Identifiers a paper can be asked for by (the thread command `add <id>`, `synthesize add`): a DOI, an
 * arXiv id, a PubMed id, an OpenAlex work id, a Semantic Scholar paper id, a paper id of a local corpus
 * (`corpus:4983`, as reports cite corpus papers), or a title (matched in a local corpus only).
 *
 * Every form `parseThreadCommand` returns for `add` parses here (`10.…`, `arXiv:<id>`, the PubMed id's
 * digits), as do the reference ids reports carry (`pubmed:123`, `arxiv:2406.15877`, `crossref:10.…`,
 * `openalex:W…`, `s2:…`), so any paper of one report can be added to another.
 */
import { normalizeArxivId, normalizeDoi } from '../pipeline/merge.js';
import { normalizeWhitespace, stripControl } from '../text/sanitize.js';

/** What kind of identifier a {@link PaperId} is. */
export type PaperIdKind = 'doi' | 'arxiv' | 'pmid' | 'openalex' | 's2' | 'corpus' | 'title';

/** A parsed paper identifier. */
export interface PaperId {
  kind: PaperIdKind;
  /**
   * The normalised value: a DOI in lower case without resolver (`10.1056/nejmoa2034577`), an arXiv id
   * without version (`2406.15877`), the PubMed id's digits, an OpenAlex id (`W2741809807`), a Semantic
   * Scholar paper id, a corpus paper id as reports cite it (`corpus:4983`), or the title as given.
   */
  value: string;
}

/** Longest text {@link parsePaperId} reads (a title included). */
const MAX_ID_LENGTH = 1000;

/**
 * Parses what someone typed as a paper identifier; undefined when it is none (one word that is not an
 * id, an empty text). A text of three or more words that is no id is read as a title.
 */
export function parsePaperId(text: string): PaperId | undefined {
  const value = normalizeWhitespace(stripControl(text.slice(0, MAX_ID_LENGTH)))
    .replace(/^<|>$/g, '')
    .replace(/[,;]+$/, '')
    .trim();
  if (!value) return undefined;

  const doi = /^(?:doi:\s*|crossref:|https?:\/\/(?:dx\.)?doi\.org\/)?(10\.\d{4,9}\/\S+)$/i.exec(value);
  if (doi) {
    const normal = normalizeDoi(doi[1]!.replace(/[)\].]+$/, ''));
    if (normal) return { kind: 'doi', value: normal };
  }
  const arxiv =
    /^(?:arxiv:\s*|https?:\/\/(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf)\/)(\S+)$/i.exec(value) ??
    /^(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[a-z]{2})?\/\d{7}(?:v\d+)?)$/i.exec(value);
  if (arxiv) {
    const id = normalizeArxivId(arxiv[1]!);
    return id ? { kind: 'arxiv', value: id } : undefined;
  }
  const pmid =
    /^(?:pmid|pubmed)(?:\s*id)?[:\s]*(\d{1,9})$/i.exec(value) ??
    /^https?:\/\/(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov\/pubmed)\/(\d{1,9})\/?$/i.exec(value) ??
    /^(\d{1,9})$/.exec(value);
  if (pmid) return { kind: 'pmid', value: pmid[1]! };
  const openalex = /^(?:openalex:|https?:\/\/(?:api\.)?openalex\.org\/(?:works\/)?)?(W\d{1,12})$/i.exec(value);
  if (openalex) return { kind: 'openalex', value: openalex[1]!.toUpperCase() };
  const s2 = /^(?:s2:|https?:\/\/(?:www\.)?semanticscholar\.org\/paper\/(?:[^/\s]+\/)?)([0-9a-f]{40})$/i.exec(value);
  if (s2) return { kind: 's2', value: s2[1]!.toLowerCase() };
  // A corpus paper as reports cite it: the corpus name, a colon, the id in that corpus.
  if (/^[\w.-]+:[^\s:]+$/.test(value)) return { kind: 'corpus', value };
  if (value.split(' ').length >= 3 && /\p{L}/u.test(value)) return { kind: 'title', value };
  return undefined;
}

/** How a message names the identifier: `DOI 10.…`, `arXiv:2406.15877`, `PubMed id 123`, `title "…"`. */
export function describePaperId(id: PaperId): string {
  switch (id.kind) {
    case 'doi':
      return `DOI ${id.value}`;
    case 'arxiv':
      return `arXiv:${id.value}`;
    case 'pmid':
      return `PubMed id ${id.value}`;
    case 'openalex':
      return `OpenAlex work ${id.value}`;
    case 's2':
      return `Semantic Scholar paper ${id.value}`;
    case 'corpus':
      return `paper ${id.value}`;
    case 'title':
      return `the title "${id.value.length > 120 ? `${id.value.slice(0, 119)}…` : id.value}"`;
  }
}

/** What a paper id can be written as, for usage messages. */
export const PAPER_ID_HINT =
  'a DOI (10.1056/NEJMoa2034577), an arXiv id (arXiv:2406.15877), a PubMed id (PMID 12345678), an OpenAlex id (W2741809807), a corpus paper id (corpus:4983) or a title';
