/**
 * Word lists for lexical stance detection: negation cues, direction words and antonym pairs, stored as
 * Porter stems (as produced by `stem`) so that inflections match.
 */
import { stem } from '../../text/tokens.js';

const stems = (words: string): Set<string> => new Set(words.split(/\s+/).filter(Boolean).map((w) => stem(w)));

/** Tokens that negate a statement (contractions like "didn't" are handled by the caller). */
export const NEGATION = stems(
  'not no never none neither nor without cannot fail fails failed lack lacks lacked lacking absence absent unable ' +
    'unaffected unchanged unaltered insignificant nonsignificant null nothing unrelated independent irrespective regardless ' +
    'unlike rather instead neither',
);

/** Words saying a quantity goes up or an effect is promoted. */
export const UP = stems(
  'increase increases increased increasing raise raised raises elevate elevated elevation enhance enhanced enhances ' +
    'promote promotes promoted upregulate upregulated upregulation higher high more greater gain gains improve improved ' +
    'improves improvement activate activates activated activation induce induces induced induction stimulate stimulates ' +
    'stimulated accelerate accelerated augment augmented exacerbate exacerbated boost boosted amplify amplified ' +
    'potentiate potentiates strengthen strengthened expand expanded accumulate accumulated accumulation overexpression ' +
    'overexpressed rise rises rose grow grows larger longer faster excess excessive hyper more better',
);

/** Words saying a quantity goes down or an effect is blocked. */
export const DOWN = stems(
  'decrease decreases decreased decreasing reduce reduces reduced reduction lower lowered lowers less fewer diminish ' +
    'diminished diminishes inhibit inhibits inhibited inhibition suppress suppressed suppresses suppression downregulate ' +
    'downregulated downregulation impair impaired impairs impairment attenuate attenuated attenuates block blocks blocked ' +
    'blockade abolish abolished abolishes decline declined declines loss lose loses lost deplete depleted depletion ' +
    'deficiency deficient shorter smaller slower weaken weakened prevent prevents prevented abrogate abrogated drop ' +
    'dropped fall falls fell delay delayed delays repress repressed repression silence silenced knockdown hypo low lowest ' +
    'worse worsen worsens worsened worsening deteriorate deteriorated',
);

/** Pairs whose members contradict each other when one replaces the other (stems). */
export const ANTONYMS: readonly (readonly [Set<string>, Set<string>])[] = [
  [stems('positive positively'), stems('negative negatively')],
  [stems('benign'), stems('malignant')],
  [stems('sufficient'), stems('insufficient')],
  [stems('necessary required requires essential indispensable'), stems('dispensable unnecessary')],
  [stems('agonist'), stems('antagonist')],
  [stems('active activated'), stems('inactive inactivated')],
  [stems('beneficial benefit protective protects'), stems('harmful detrimental deleterious')],
  [stems('early earlier'), stems('late later')],
  [stems('common frequent'), stems('rare infrequent')],
  [stems('present presence'), stems('absent absence')],
  [stems('before'), stems('after')],
  [stems('male men'), stems('female women')],
  [stems('children'), stems('adults')],
  [stems('effective'), stems('ineffective')],
  [stems('stable'), stems('unstable')],
  [stems('safe'), stems('unsafe')],
];

/** Result words: sentences that state a finding. */
export const FINDING_CUES =
  /\b(?:we (?:found|find|show|showed|demonstrate|demonstrated|observed|report|identified|conclude)|(?:results?|data|findings|analys[ie]s) (?:show|showed|indicate|indicated|suggest|suggested|reveal|revealed|demonstrate|demonstrated|support)|demonstrat\w*|significant(?:ly)?|associated with|correlated with|increas\w+|decreas\w+|reduc\w+|improv\w+|higher|lower|compared (?:with|to)|than|outperform\w*|no (?:significant )?(?:difference|effect|association|benefit)|odds ratio|hazard ratio|relative risk|confidence interval|\bCI\b|p\s*[<=>]|\d+(?:\.\d+)?\s*%|fold|conclu\w+|suggest\w*|ris(?:e|es|ing)|rose|gains?|drops?|fell|falls?|reach(?:es|ed)?|outperform\w*|indicat\w*|effective|efficacy|resulted in|led to|was (?:not )?associated)\b/i;

/** Background and method sentences: aims, designs, procedures (not findings). */
export const NON_FINDING_CUES =
  /\b(?:we (?:also |further |then |additionally |first |next )?(?:aimed|aim|sought|seek|investigated|investigate|examined|examine|evaluated|evaluate|assessed|assess|conducted|performed|used|searched|recruited|enrolled|describe|propose|present|review|discuss|hypothesi[sz]ed)|(?:this|the present|our) (?:study|review|paper|article|trial|work) (?:aims?|aimed|examines?|investigates?|evaluates?|describes?|reviews?|presents?|was designed)|the (?:aim|objective|purpose|goal) of|to (?:investigate|determine|assess|evaluate|examine|explore|compare|test whether)|were (?:randomly )?(?:assigned|randomi[sz]ed|recruited|enrolled|included|selected|divided)|(?:is|are|remains?) (?:unclear|unknown|poorly understood|not well understood|controversial)|little is known|in this (?:study|paper|review|article)|we (?:pooled|included|analy[sz]ed data|collected|measured|followed)|(?:was|were) (?:not )?(?:measured|assessed|recorded|collected)|further (?:\w+ )?(?:work|research|studies|study|trials|investigation)s? (?:is|are|will be)? ?(?:needed|required|warranted)|(?:is|are) needed to|warrants? further|future (?:studies|research|trials)|might confirm|should aim|here,? we (?:use|discuss|review|describe|present|propose))\b/i;
