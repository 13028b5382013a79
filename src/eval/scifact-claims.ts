/**
 * Reading SciFact claim files (`claims_*.jsonl`, one claim per line with its evidence and cited
 * abstracts). See https://github.com/allenai/scifact/blob/master/doc/data.md for the format.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SynthError } from '../errors.js';

/** A gold label of a claim against one abstract (NEI: the abstract does not decide it). */
export type GoldLabel = 'SUPPORT' | 'CONTRADICT' | 'NEI';

const ClaimLineSchema = z.object({
  id: z.number().int(),
  claim: z.string(),
  evidence: z
    .record(z.string(), z.array(z.object({ sentences: z.array(z.number().int()), label: z.enum(['SUPPORT', 'CONTRADICT']) })))
    .optional(),
  cited_doc_ids: z.array(z.union([z.number().int(), z.string()])).optional(),
});

/** One SciFact claim line, validated. Evidence is keyed by the abstract's corpus id. */
export type SciFactClaim = z.infer<typeof ClaimLineSchema>;

/**
 * Reads a SciFact claims file. Throws `corpus_unreadable` naming an unreadable file and `validation`
 * naming the line of a malformed claim.
 */
export async function readSciFactClaims(path: string): Promise<SciFactClaim[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SynthError('corpus_unreadable', `Cannot read claims ${path}: ${(error as Error).message}`, { cause: error });
  }
  const claims: SciFactClaim[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let parsed;
    try {
      parsed = ClaimLineSchema.safeParse(JSON.parse(line));
    } catch {
      throw new SynthError('validation', `${path}:${i + 1}: invalid JSON`);
    }
    if (!parsed.success) throw new SynthError('validation', `${path}:${i + 1}: not a SciFact claim (${parsed.error.issues[0]?.message})`);
    claims.push(parsed.data);
  });
  return claims;
}

/**
 * The gold label of each evidence abstract of a claim, by corpus id. SciFact gives every rationale
 * of one abstract the same label, so the first one stands for the abstract.
 */
export function evidenceLabels(claim: SciFactClaim): Map<string, Exclude<GoldLabel, 'NEI'>> {
  const out = new Map<string, Exclude<GoldLabel, 'NEI'>>();
  for (const [docId, sets] of Object.entries(claim.evidence ?? {})) {
    const label = sets[0]?.label;
    if (label) out.set(docId, label);
  }
  return out;
}
