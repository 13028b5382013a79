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
  'not-applicable': 'Not a yes/no question: a synthesis of the findings',
};

/** "Yes (medium confidence)", or the open-question label; undefined for a report without an answer (older reports). */
export function bottomLine(answer: Answer | undefined): string | undefined {
  if (!answer) return undefined;
  if (answer.verdict === 'not-applicable') return VERDICT_LABEL[answer.verdict];
  return `${VERDICT_LABEL[answer.verdict]} (${answer.confidence} confidence)`;
}
