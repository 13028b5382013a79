/**
 * The one-line bottom line every view leads with, from the report's structured answer
 * (`report.answer`, see `src/model.ts`): "Yes (medium confidence)", "Insufficient evidence".
 */
import type { Answer } from '../model.js';

const VERDICT_LABEL: Record<Answer['verdict'], string> = {
  yes: 'Yes',
  no: 'No',
  mixed: 'Mixed evidence',
  insufficient: 'Insufficient evidence',
  'not-applicable': 'Synthesis (not a yes/no question)',
};

/** "Yes (medium confidence)"; undefined for a report without an answer (older reports). */
export function bottomLine(answer: Answer | undefined): string | undefined {
  if (!answer) return undefined;
  return `${VERDICT_LABEL[answer.verdict]} (${answer.confidence} confidence)`;
}
