import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { cleanText, MAX_QUESTION_LENGTH, neutralizeMentions, sanitizeQuestion, stripControl } from '../../src/text/sanitize.js';
import { isCompleteSentence, paperSentences, splitSentences, stripSectionLabel } from '../../src/text/sentences.js';
import { terms, tokenize } from '../../src/text/tokens.js';

describe('sanitizeQuestion', () => {
  it('rejects an empty or whitespace-only question with a usage error', () => {
    expect(() => sanitizeQuestion('')).toThrow(UsageError);
    expect(() => sanitizeQuestion(' \t\n ')).toThrow(/empty/);
    // Invisible characters only is empty too.
    expect(() => sanitizeQuestion('\u200b\u202e\u0007')).toThrow(/empty/);
  });

  it('rejects a question that names nothing to search for, and keeps one that does', () => {
    for (const q of ['???', '@channel', '<!everyone> <@U123>', 'Is it true that?', 'Does ?', 'Why?']) {
      expect(() => sanitizeQuestion(q), q).toThrow(/names nothing to search for/);
    }
    expect(sanitizeQuestion('@channel does vitamin D work?')).toBe('@channel does vitamin D work?');
    expect(sanitizeQuestion('IL-6?')).toBe('IL-6?');
  });

  it('rejects a question over the limit, saying the limit', () => {
    expect(() => sanitizeQuestion('a'.repeat(MAX_QUESTION_LENGTH + 1))).toThrow(new RegExp(`limit is ${MAX_QUESTION_LENGTH}`));
    expect(sanitizeQuestion('a'.repeat(MAX_QUESTION_LENGTH))).toHaveLength(MAX_QUESTION_LENGTH);
  });

  it('removes control and bidirectional characters and folds whitespace', () => {
    expect(sanitizeQuestion('Does\u0000 vitamin\u202e D\n\nwork?\u0007')).toBe('Does vitamin D work?');
  });

  it('turns Slack and Discord mention syntax into plain text', () => {
    expect(sanitizeQuestion('<!channel> <@U123ABC> <!here|here> <#C42|general> <@&987> ask')).toBe('@channel @U123ABC @here #general @987 ask');
    expect(neutralizeMentions('<!subteam^S1|@devs> see <https://x.org|the paper>')).toBe('@devs see the paper (https://x.org)');
  });
});

describe('stripControl and cleanText', () => {
  it('keeps ordinary text as it is', () => {
    expect(cleanText('IL-6 levels rose by 1.8 µg/mL (p < 0.05).')).toBe('IL-6 levels rose by 1.8 µg/mL (p < 0.05).');
    expect(stripControl('a\tb')).toBe('a b');
  });
});

describe('sentences', () => {
  it('splits without breaking decimals, abbreviations or "et al."', () => {
    const text = 'Levels fell from 1.8 to 1.2 mg. Smith et al. reported similar results, e.g. in mice. Was it causal?';
    expect(splitSentences(text)).toEqual([
      'Levels fell from 1.8 to 1.2 mg.',
      'Smith et al. reported similar results, e.g. in mice.',
      'Was it causal?',
    ]);
  });

  it('keeps a source-provided sentence split as it is', () => {
    expect(paperSentences({ abstract: 'ignored', sentences: [' First one. ', 'Second one.'] })).toEqual(['First one.', 'Second one.']);
  });

  it('accepts complete sentences and rejects fragments and cut-off text', () => {
    expect(isCompleteSentence('Exercise reduced depressive symptoms in adults.')).toBe(true);
    expect(isCompleteSentence('p53 activation induces apoptosis in tumour cells.')).toBe(true);
    expect(isCompleteSentence('mTOR inhibition extends lifespan in mice.')).toBe(true);
    expect(isCompleteSentence('Exercise reduced depressive symptoms in adu')).toBe(false);
    expect(isCompleteSentence('and reduced depressive symptoms in adults.')).toBe(false);
    expect(isCompleteSentence('Results were reported by Smith et al.')).toBe(false);
    expect(isCompleteSentence('Too short.')).toBe(false);
    expect(isCompleteSentence('The effect was large...')).toBe(false);
  });

  it('strips structured-abstract labels', () => {
    expect(stripSectionLabel('RESULTS: Exercise helped.')).toBe('Exercise helped.');
    expect(stripSectionLabel('RESULTS Of the 32,441 samples, 16 were positive.')).toBe('Of the 32,441 samples, 16 were positive.');
    expect(stripSectionLabel('CONCLUSIONS AND RELEVANCE: It works.')).toBe('It works.');
    expect(stripSectionLabel('DNA damage increased.')).toBe('DNA damage increased.');
    // The labels the role classifier knows, one table for both: dashes, chains and Cochrane's.
    expect(stripSectionLabel('CONCLUSIONS - Vitamin D helps.')).toBe('Vitamin D helps.');
    expect(stripSectionLabel('DESIGN, SETTING, AND PARTICIPANTS Randomized trial of 2458 women.')).toBe('Randomized trial of 2458 women.');
    expect(stripSectionLabel("AUTHORS' CONCLUSIONS NRT and bupropion help smokers quit.")).toBe('NRT and bupropion help smokers quit.');
    expect(stripSectionLabel('Results of experimental studies vary.')).toBe('Results of experimental studies vary.');
  });
});

describe('tokens', () => {
  it('keeps sizes, scores and decimals whole and stems words', () => {
    expect(tokenize('Code Llama 70B reaches pass@1 of 0.45.')).toEqual(['code', 'llama', '70b', 'reaches', 'pass@1', 'of', '0.45']);
    expect(terms('The increases were increasing')).toEqual(['increas', 'increas']);
  });
});

describe('the question length limit (issue 12)', () => {
  it('counts what a reader sees as characters, not UTF-16 code units or code points', () => {
    // "Does " and " work?" are 11 characters; 989 emoji (1,978 code units) bring it to the limit.
    expect(sanitizeQuestion(`Does ${'🧪'.repeat(MAX_QUESTION_LENGTH - 11)} work?`)).toBeTruthy();
    // A flag is two code points (four code units) and one character.
    expect(() => sanitizeQuestion(`Does ${'🇫🇷'.repeat(MAX_QUESTION_LENGTH - 11)} work?`)).not.toThrow();
    expect(() => sanitizeQuestion(`Does ${'🧪'.repeat(MAX_QUESTION_LENGTH - 10)} work?`)).toThrow(
      `The question is ${MAX_QUESTION_LENGTH + 1} characters long; the limit is ${MAX_QUESTION_LENGTH}.`,
    );
  });
});
