/**
 * Issue 12, measured: every generated hostile question (test/hostile/inputs.ts) through `synthesize`,
 * in-process over the small exercise corpus, as Markdown or JSON, to stdout or to a file, to a pipe or
 * a terminal, with the extractive engine or an LLM engine whose (fake, loopback) model obeys the
 * injection: it echoes the question, mention syntax, escape sequences and the API key it was sent
 * into its answer, or fails with the key in its error text. Known secrets are in the environment.
 *
 * Per input: a crash is a rejected `main`, an exit code other than 0/1/2, a stack trace in the output
 * or an unhandled rejection while it ran; a hang is no exit within 10 s (an input that may block the
 * event loop for longer runs as a process of its own, killed at 10 s); a ping is live Slack or
 * Discord mention syntax in the Markdown report (the file chat answers attach); a secret is any
 * configured secret value in stdout, stderr or the report file. Control characters on stdout or stderr
 * (a terminal) are counted as other problems. The suite prints its counts and asserts each is 0.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { dataOf, startFakeLlm, type FakeLlm, type RecordedRequest } from '../llm/fake-llm-server.js';
import { defaultAnswer } from '../llm/fake-model.js';
import {
  BASE_QUESTION,
  blankInputs,
  bounded,
  clip,
  hasStackTrace,
  lengthInputs,
  liveMentions,
  outcome,
  payloadInputs,
  payloadsOnce,
  problemsOf,
  SECRET_ENV,
  secretsIn,
  secretsOf,
  spread,
  STORE_PASSWORD,
  summaryLine,
  TERMINAL_CONTROL,
  type HostileText,
  type Outcome,
} from './inputs.js';

const CORPUS = join(FIXTURES, 'corpus/exercise.jsonl');
/** A CLI run that has not exited by then hangs. */
const BOUND_MS = 10_000;

/**
 * Inputs that show a defect, by id, with the defect. Their test is `it.fails` (it fails until the
 * defect is fixed; then take the input out of here); the printed line counts them apart.
 */
const KNOWN_DEFECTS: Record<string, string> = {};

type Engine = 'extractive' | 'llm-echo' | 'llm-error';

interface CliInput extends HostileText {
  /** `synthesize <question>`, or `synthesize followup --report <a report of BASE_QUESTION> <question>`. */
  command: 'main' | 'followup';
  /** Run as its own process, killed after the bound (work that blocks the event loop cannot be stopped in-process). */
  process?: boolean;
  format: 'markdown' | 'json';
  toFile: boolean;
  tty: boolean;
  quiet: boolean;
  engine: Engine;
}

/** 100,000 characters with one emoji in them: a string V8 stores two bytes a character. */
const ASTRAL_100K = `${`${BASE_QUESTION} `.repeat(2000).slice(0, 99_998)}💊`;

/** Every hostile text, each with a way of running the CLI chosen by its position (deterministic); then follow-ups. */
function cliInputs(): CliInput[] {
  const texts = [...payloadInputs(['alone', 'in']), ...lengthInputs(100_000), ...blankInputs()];
  const inProcess = texts.map((t, i): CliInput => ({
    ...t,
    command: 'main',
    format: i % 2 === 0 ? 'markdown' : 'json',
    toFile: i % 5 === 4,
    tty: i % 7 === 3,
    quiet: i % 11 === 10,
    engine: i % 6 === 5 ? (i % 12 === 11 ? 'llm-error' : 'llm-echo') : 'extractive',
  }));
  const plain = { format: 'markdown', toFile: false, tty: false, quiet: false, engine: 'extractive' } as const;
  const astral: CliInput = { id: 'length.100k-astral', category: 'length', text: ASTRAL_100K, command: 'main', process: true, ...plain };
  // Follow-ups to a saved report: a spread of the payloads, the lengths around and far over the limit, blanks.
  const followTexts = [
    ...spread(payloadsOnce(), 40),
    // Not 'length.100k' in-process until D7 is fixed: it blocks the process ~3 s alone and over 10 s under load (the
    // astral 100k one below, a process of its own, pins D7 either way). Add it back with the fix.
    ...lengthInputs(100_000).filter((l) => ['length.at-limit', 'length.over-limit', 'length.emoji-over-limit', 'length.10k'].includes(l.id)),
    ...blankInputs().filter((b) => ['blank.empty', 'blank.zero-width-only', 'blank.punctuation-only'].includes(b.id)),
  ];
  const followUps = followTexts.map((t, i): CliInput => ({ ...t, id: `followup.${t.id}`, command: 'followup', ...plain, format: i % 2 === 0 ? 'markdown' : 'json', toFile: i % 5 === 4 }));
  const followAstral: CliInput = { id: 'followup.length.100k-astral', category: 'length', text: ASTRAL_100K, command: 'followup', process: true, ...plain };
  return [...inProcess, astral, ...followUps, followAstral];
}

/**
 * Runs `synthesize` as a process (the CLI's source through tsx), killed once `ms` have passed. (Not at
 * a lower priority: on a busy machine a starved process would look hung.)
 */
function runCliProcess(args: string[], env: Record<string, string>, ms: number): Promise<CliResult & { killed: boolean; ms: number }> {
  const script = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', STORE_URL: 'memory://', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, killed, ms: performance.now() - started });
    });
  });
}

const ESC = '\u001b';
/** What a model that obeys the injection adds to everything it writes: mentions, links, escapes and the key it was sent. */
const hostileModelText = (key: string, question: string) =>
  `<!channel> <@U999> <<@U1|U998>> <@&123456789012345678> [x](javascript:alert(1)) <script>alert(1)</script> ${ESC}[2J${ESC}]0;pwned\u0007 key ${key} asked: ${question}`;

/** The key a request to the fake model carried. */
const keyOf = (request: RecordedRequest) => String(request.headers.authorization ?? request.headers['x-api-key'] ?? '').replace(/^Bearer /, '');

/** A fake model that answers each step validly, with the injection obeyed in the texts it writes. */
function echoingModel() {
  let question = '';
  return (request: RecordedRequest) => {
    const answer = defaultAnswer(request);
    if (!('json' in answer)) return answer;
    const json = answer.json as Record<string, unknown>;
    if (request.step === 'plan') {
      question = dataOf<string>(request.user, 'question') ?? '';
      return answer;
    }
    const text = hostileModelText(keyOf(request), question.slice(0, 200));
    if (request.step === 'review') return { json: { ...json, rationale: `${String(json.rationale)} ${text}` } };
    if (request.step === 'verify') return { json: { ...json, rationale: `${String(json.rationale)} ${text}` } };
    if (request.step === 'compose') {
      const composed = json as { title: string; abstract: string; answer: { text: string }; gaps: string[] };
      return {
        json: {
          ...composed,
          title: `${composed.title} ${text}`.slice(0, 300),
          abstract: `${composed.abstract} ${text}`,
          answer: { ...composed.answer, text: `${composed.answer.text} ${text}` },
          gaps: [text],
        },
      };
    }
    return answer;
  };
}

describe('the checks of the hostile suites', () => {
  it('see what they look for (so 0 means none, not a blind check)', () => {
    expect(liveMentions('a <!channel> b <!here|here> <@U123> <#C9|x> <@123456789012345678> <@&123456789012345678> <!subteam^S1>')).toHaveLength(7);
    expect(liveMentions('<@U1> asked <@U2>', ['U1'])).toEqual(['<@U2>']);
    expect(liveMentions('@channel \\<@123456789012345678> &lt;!here&gt; <@U1>', [], 'discord')).toEqual([]);
    expect(liveMentions('Research: <@123456789012345678>', [], 'discord')).toEqual(['<@123456789012345678>']);
    const secret = SECRET_ENV.LLM_API_KEY;
    for (const form of [secret, encodeURIComponent(`${secret}/`), JSON.stringify(`"${secret}`), Buffer.from(secret).toString('base64')]) {
      expect(secretsIn(`x ${form} y`, [secret])).toEqual([secret]);
    }
    expect(secretsOf({ STORE_URL: SECRET_ENV.STORE_URL })).toEqual([STORE_PASSWORD]);
    expect(hasStackTrace(new Error('x').stack!)).toBe(true);
    expect(hasStackTrace('synthesize: The question is empty.')).toBe(false);
    expect(TERMINAL_CONTROL.test('a\u001b[2Jb')).toBe(true);
    expect(TERMINAL_CONTROL.test('a\tb\nc')).toBe(false);
  });
});

describe('hostile CLI inputs', () => {
  const inputs = cliInputs();
  const outcomes = new Map<string, Outcome>();
  const notes: { id: string; what: string }[] = [];
  let dir: string;
  let echo: FakeLlm;
  let failing: FakeLlm;
  let baseReport = '';
  let started = 0;

  beforeAll(async () => {
    started = performance.now();
    dir = await mkdtemp(join(tmpdir(), 'hostile-cli-'));
    echo = await startFakeLlm({ protocol: 'openai', script: echoingModel() });
    failing = await startFakeLlm({
      protocol: 'openai',
      script: (request) => ({ status: 401, message: `Incorrect API key provided: ${keyOf(request)} <!channel> ${ESC}[2J. See https://evil.example/keys` }),
    });
    // The report the follow-ups are asked about.
    baseReport = join(dir, 'base-report.json');
    const base = await runCli(['--offline', '--corpus', CORPUS, '--format', 'json', '--out', baseReport, '-q', BASE_QUESTION], { ...SECRET_ENV });
    if (base.code !== 0) throw new Error(`the base report could not be made: ${base.stderr}`);
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    try {
      // Inputs run as processes go at once, beside the in-process ones (they only wait for their bound).
      const processes = inputs.map((input, index) => ({ input, index })).filter(({ input }) => input.process);
      const running = Promise.all(processes.map(async ({ input, index }) => outcomes.set(input.id, await runOne(input, index, []))));
      for (const [index, input] of inputs.entries()) {
        if (input.process) continue;
        unhandled.length = 0;
        outcomes.set(input.id, await runOne(input, index, unhandled));
      }
      await running;
    } finally {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    }
  }, 180_000);

  afterAll(async () => {
    await echo?.close();
    await failing?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function runOne(input: CliInput, index: number, unhandled: unknown[]): Promise<Outcome> {
    const o = outcome(input.id);
    const out = input.toFile ? join(dir, `report-${index}.${input.format === 'json' ? 'json' : 'md'}`) : undefined;
    // A follow-up is answered from the report's papers; every other one may widen to the corpus.
    const command = input.command === 'followup' ? ['followup', '--report', baseReport, ...(index % 2 === 0 ? ['--offline', '--corpus', CORPUS] : [])] : ['--offline', '--corpus', CORPUS];
    const args = [...command, '--format', input.format, ...(out ? ['--out', out] : []), ...(input.quiet ? ['-q'] : [])];
    const env: Record<string, string> = { ...SECRET_ENV };
    if (input.engine !== 'extractive') {
      args.push('--engine', 'llm');
      Object.assign(env, {
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: (input.engine === 'llm-echo' ? echo : failing).url,
        LLM_MODEL: 'fake-model-1',
        LLM_TIMEOUT_MS: '2000',
        LLM_MAX_RETRIES: '0',
      });
    }
    args.push(input.text);
    if (input.process) {
      const child = await runCliProcess(args, env, BOUND_MS);
      o.ms = child.ms;
      o.result = child.killed ? 'killed' : String(child.code);
      if (child.killed) o.hangs.push(`no exit within ${BOUND_MS / 1000} s: killed (a ${input.text.length}-character question)`);
      else if (![0, 1, 2].includes(child.code)) o.crashes.push(`exit code ${child.code}: ${clip(child.stderr, 400)}`);
      if (hasStackTrace(child.stdout) || hasStackTrace(child.stderr)) o.crashes.push(`stack trace in the output: ${clip(child.stderr, 400)}`);
      for (const secret of secretsIn(`${child.stdout}\n${child.stderr}`, secretsOf(SECRET_ENV))) o.secrets.push(`${secret.slice(0, 12)}… in the output`);
      return o;
    }
    const run = await bounded<CliResult>(() => runCli(args, env, { isTTY: input.tty }), BOUND_MS);
    // Let anything the run left behind settle, so a late rejection is counted against it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    o.ms = run.ms;
    if (run.hung) o.hangs.push(`no exit within ${BOUND_MS / 1000} s (${Math.round(run.ms)} ms)`);
    if (run.error !== undefined) o.crashes.push(`main rejected: ${(run.error as Error)?.stack ?? String(run.error)}`);
    for (const reason of unhandled) o.crashes.push(`unhandled: ${(reason as Error)?.stack ?? String(reason)}`);
    const cli = run.value;
    if (!cli) {
      o.result = run.hung ? 'hang' : 'crash';
      return o;
    }
    o.result = String(cli.code);
    if (![0, 1, 2].includes(cli.code)) o.crashes.push(`exit code ${cli.code}`);
    if (hasStackTrace(cli.stdout) || hasStackTrace(cli.stderr)) o.crashes.push(`stack trace in the output: ${clip(cli.stderr, 400)}`);
    if (cli.code === 1) o.other.push(`exit 1 (no report) over a readable corpus: ${clip(cli.stderr.trim().split('\n').at(-1) ?? '')}`);
    if (cli.code === 0 && !out && cli.stdout.length === 0) o.other.push('exit 0 without a report');

    const file = out && cli.code === 0 ? await readFile(out, 'utf8').catch(() => '') : '';
    if (out && cli.code === 0 && file.length === 0) o.other.push(`exit 0 without the report file ${out}`);
    const report = out ? file : cli.stdout;

    // Pings: live mention syntax in the Markdown report, the file chat answers attach.
    if (input.format === 'markdown') {
      for (const mention of liveMentions(report)) o.pings.push(`live mention ${mention} in the Markdown report`);
    } else {
      for (const mention of liveMentions(report)) notes.push({ id: input.id, what: `live mention syntax ${mention} in the JSON report${input.engine === 'extractive' ? '' : ` (${input.engine} model)`}` });
    }
    for (const mention of liveMentions(cli.stderr)) notes.push({ id: input.id, what: `live mention syntax ${mention} on stderr` });

    for (const secret of secretsIn(`${cli.stdout}\n${cli.stderr}\n${file}`, secretsOf(SECRET_ENV))) o.secrets.push(`${secret.slice(0, 12)}… in the output`);

    // What reaches a terminal carries no control character (the TTY printer's own line rewrite aside).
    const terminal = `${out ? '' : cli.stdout}${cli.stderr.split('\r\u001b[K').join('')}`;
    const control = TERMINAL_CONTROL.exec(terminal);
    if (control) o.other.push(`control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, '0')} on the terminal near ${clip(terminal.slice(Math.max(0, control.index - 30), control.index + 30))}`);
    return o;
  }

  for (const input of inputs) {
    const defect = KNOWN_DEFECTS[input.id];
    const test = defect ? it.fails : it;
    test(`${input.id} (${input.command === 'followup' ? 'followup, ' : ''}${input.format}${input.toFile ? ', --out' : ''}${input.tty ? ', tty' : ''}${input.engine === 'extractive' ? '' : `, ${input.engine}`})${defect ? ` — known defect: ${defect}` : ''}`, () => {
      const o = outcomes.get(input.id)!;
      expect(problemsOf(o), `input ${clip(input.text)}`).toEqual([]);
    });
  }

  it('prints its counts, and all are 0', () => {
    const all = inputs.map((i) => outcomes.get(i.id)!);
    console.log(summaryLine('hostile CLI inputs', all, 'exit codes', KNOWN_DEFECTS, (performance.now() - started) / 1000));
    const slowest = [...all].sort((a, b) => b.ms - a.ms)[0]!;
    console.log(`  slowest: ${slowest.id} ${Math.round(slowest.ms)} ms; LLM requests answered: ${echo.requests.length + failing.requests.length}`);
    // Not counted, shown: live mention syntax in JSON reports and on stderr, grouped by where and what.
    const grouped = new Map<string, string[]>();
    for (const note of notes) grouped.set(note.what, [...(grouped.get(note.what) ?? []), note.id]);
    for (const [what, ids] of grouped) console.log(`  not counted: ${what} (${ids.length} inputs: ${[...new Set(ids)].slice(0, 4).join(', ')}${ids.length > 4 ? ', …' : ''})`);
    const counted = all.filter((o) => !KNOWN_DEFECTS[o.id]);
    expect(inputs.length).toBeGreaterThanOrEqual(200);
    expect(counted.filter((o) => o.crashes.length > 0).map((o) => o.id), 'crashes').toEqual([]);
    expect(counted.filter((o) => o.hangs.length > 0).map((o) => o.id), 'hangs').toEqual([]);
    expect(counted.filter((o) => o.pings.length > 0).map((o) => o.id), 'pings').toEqual([]);
    expect(counted.filter((o) => o.secrets.length > 0).map((o) => o.id), 'secrets').toEqual([]);
    // The model endpoint was really used, and the key really sent to it (so "no secret in output" means something).
    expect(echo.requests.length).toBeGreaterThan(0);
    expect(failing.requests.some((r) => keyOf(r) === SECRET_ENV.LLM_API_KEY)).toBe(true);
  });
});
