/**
 * `[n]` citations in model text: `n` is a position in the report's references; numbers outside them
 * are removed (and counted by the caller), ranges such as `[2-4]` are expanded.
 */

const CITATION = /\[(\d+(?:\s*[-–,]\s*\d+)*)\]/g;

/** Rewrites `[n]` citations keeping those in 1..count; returns the text, the kept and the dropped counts. */
export function checkCitations(text: string, count: number): { text: string; kept: number; dropped: number } {
  let kept = 0;
  let dropped = 0;
  const out = text.replace(CITATION, (_m, inner: string) => {
    const numbers: number[] = [];
    for (const part of inner.split(',')) {
      const [from = 0, to = from] = part.split(/[-–]/).map((x) => Number(x.trim()));
      if (to - from > 50 || to < from) {
        dropped++;
        continue;
      }
      for (let n = from; n <= to; n++) numbers.push(n);
    }
    const valid = [...new Set(numbers.filter((n) => n >= 1 && n <= count))];
    dropped += new Set(numbers).size - valid.length;
    kept += valid.length;
    return valid.length ? `[${valid.join(', ')}]` : '';
  });
  return { text: out.replace(/\s+([.,;:])/g, '$1').replace(/\s{2,}/g, ' ').trim(), kept, dropped };
}
