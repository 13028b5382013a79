/**
 * A source over papers held in memory (the papers of a saved report, for a follow-up question): it
 * ranks them with the core's lexical ranker for the query and returns every one of them, best first,
 * within the year range. Nothing is fetched; screening and the rest of the pipeline run as for any
 * other source.
 */
import type { Paper } from '../model.js';
import { createLexicalRanker } from '../rank/lexical-ranker.js';
import type { SearchQuery, Source, SourceContext } from './source.js';

/** Creates a source named `name` over `papers` (their `sources` become `[name]`). */
export function createMemorySource(name: string, papers: readonly Paper[]): Source & { readonly papers: readonly Paper[] } {
  const held = papers.map((p) => ({ ...p, sources: [name] }));
  // Built on first search: a follow-up that is never asked costs nothing.
  let ranker: ReturnType<typeof createLexicalRanker> | undefined;
  return {
    name,
    papers: held,
    async search(query: SearchQuery, ctx: SourceContext): Promise<Paper[]> {
      ctx.signal.throwIfAborted();
      if (held.length === 0) return [];
      ranker ??= createLexicalRanker(held);
      const hits = ranker.search(query.text, held.length);
      const score = new Map(hits.map((h) => [h.index, h.score]));
      // Ranked papers first, then the ones the query does not name, in their original order.
      const order = [...hits.map((h) => h.index), ...held.map((_, i) => i).filter((i) => !score.has(i))];
      const out: Paper[] = [];
      for (const i of order) {
        const paper = held[i]!;
        if (query.yearFrom !== undefined && paper.year !== undefined && paper.year < query.yearFrom) continue;
        if (query.yearTo !== undefined && paper.year !== undefined && paper.year > query.yearTo) continue;
        out.push({ ...paper, sourceScore: score.get(i) ?? 0 });
      }
      return out;
    },
  };
}
