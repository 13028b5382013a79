/** Scripted fakes of the core's interfaces: sources and engines that record their calls. */
import type { Engine } from '../../src/engines/engine.js';
import { createExtractiveEngine } from '../../src/engines/extractive/index.js';
import { SourceError } from '../../src/errors.js';
import type { Paper } from '../../src/model.js';
import type { SearchQuery, Source, SourceContext } from '../../src/sources/source.js';

/** A paper with sensible defaults. */
export function makePaper(over: Partial<Paper> & { id: string }): Paper {
  return { title: `Paper ${over.id}`, abstract: '', authors: [], ids: {}, sources: ['fake'], ...over };
}

/** A source that answers with fixed papers, optionally after a delay, or fails. */
export function fakeSource(
  name: string,
  papers: Paper[] | (() => Paper[]),
  options: { delayMs?: number; fail?: string; hang?: boolean } = {},
): Source & { calls: SearchQuery[] } {
  const calls: SearchQuery[] = [];
  return {
    name,
    calls,
    async search(query: SearchQuery, ctx: SourceContext) {
      calls.push(query);
      if (options.hang) {
        await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
      }
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      ctx.signal.throwIfAborted();
      if (options.fail) throw new SourceError('source_http', name, `${name}: ${options.fail}`, { status: 500 });
      return (typeof papers === 'function' ? papers() : papers).map((p) => ({ ...p, sources: [name] }));
    },
  };
}

/** The extractive engine with some steps replaced, recording which steps ran. */
export function scriptedEngine(overrides: Partial<Engine> = {}): Engine & { calls: string[] } {
  const base = createExtractiveEngine();
  const calls: string[] = [];
  const wrap =
    <K extends 'plan' | 'extract' | 'verify' | 'review' | 'compose'>(step: K) =>
    (input: Parameters<Engine[K]>[0], ctx: Parameters<Engine[K]>[1]): ReturnType<Engine[K]> => {
      calls.push(step);
      const fn = (overrides[step] ?? base[step]) as (i: typeof input, c: typeof ctx) => ReturnType<Engine[K]>;
      return fn(input, ctx);
    };
  return {
    name: overrides.name ?? 'scripted',
    calls,
    concurrency: overrides.concurrency ?? 2,
    plan: wrap('plan'),
    extract: wrap('extract'),
    verify: wrap('verify'),
    review: wrap('review'),
    compose: wrap('compose'),
    ...(overrides.methodology ? { methodology: overrides.methodology } : {}),
    ...(overrides.limitations ? { limitations: overrides.limitations } : {}),
  } as Engine & { calls: string[] };
}
