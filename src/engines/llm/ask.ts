/**
 * One guarded question to the model, used by every step: the token budget is checked first, the call
 * runs under the engine's concurrency limit, the reply is validated with zod, an invalid reply gets
 * one repair attempt, and anything else becomes a fallback the step handles with the extractive
 * engine. An unreachable or failing endpoint stops the model's part of the run (or fails the run,
 * with `LLM_ON_ERROR=fail`); cancellation always propagates.
 */
import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import type { StageContext } from '../engine.js';
import { SynthError } from '../../errors.js';
import type { Limiter } from '../../limits/limiter.js';
import { readReply } from './json.js';
import { isEndpointFailure, ModelError } from './model-error.js';
import { type ChatMessage, type ChatReply, type ModelProvider } from './provider.js';
import type { FallbackReason, RunState } from './run-state.js';
import type { LlmSettings } from './settings.js';
import type { LlmStep } from './usage.js';

/** A question for the model. */
export interface AskSpec<T> {
  step: LlmStep;
  system: string;
  user: string;
  schemaName: string;
  schema: z.ZodType<T>;
  jsonSchema: Record<string, unknown>;
}

/** The answer, or why the step must fall back for this item. */
export type AskResult<T> = { ok: true; value: T } | { ok: false; reason: FallbackReason };

/** Asks the model one question; see the module comment. */
export type Ask = <T>(spec: AskSpec<T>, ctx: StageContext) => Promise<AskResult<T>>;

/** What {@link createAsk} needs. */
export interface AskDeps {
  provider: ModelProvider;
  settings: LlmSettings;
  /** Shared by every run of the engine, so the limit holds per process (or across processes, with shared limits). */
  limiter: Limiter;
  state: RunState;
  /** `fail` throws on an endpoint failure instead of falling back. */
  onError: 'fallback' | 'fail';
}

/** Characters per token assumed when reserving budget (on the low side, so reservations are generous). */
const CHARS_PER_TOKEN = 3.5;
/** Longest invalid reply echoed back in the repair prompt. */
const MAX_ECHO = 6_000;

/**
 * A signal that follows the run's, for the calls of this run: every call in flight (and every call
 * waiting for the limiter) listens to it, more than the ten listeners Node warns about. `AbortSignal.any`
 * follows the run's signal without adding a listener to it (the core's own queue already has some).
 */
function callSignalFor(runSignal: AbortSignal, cache: WeakMap<AbortSignal, AbortSignal>): AbortSignal {
  let signal = cache.get(runSignal);
  if (!signal) {
    signal = AbortSignal.any([runSignal]);
    setMaxListeners(0, signal);
    cache.set(runSignal, signal);
  }
  return signal;
}

/** Creates the `ask` function of one run. */
export function createAsk(deps: AskDeps): Ask {
  const { provider, settings, limiter, state } = deps;
  const label = `${provider.name}/${provider.model}`;
  const signals = new WeakMap<AbortSignal, AbortSignal>();

  const noteBudget = (ctx: StageContext) => {
    if (state.budgetMessage) return;
    const step = state.ledger.summary().budget.reachedAt ?? 'plan';
    state.budgetMessage = `The token budget of ${settings.maxTokensPerReport.toLocaleString('en-US')} tokens per report (LLM_MAX_TOKENS_PER_REPORT) was reached at the ${step} step; the extractive engine did the remaining work.`;
    ctx.warn('llm_budget', state.budgetMessage);
  };

  const call = async (
    step: LlmStep,
    system: string,
    messages: ChatMessage[],
    spec: AskSpec<unknown>,
    ctx: StageContext,
  ): Promise<{ fallback: FallbackReason } | { reply: ChatReply }> => {
    if (state.endpointFailure) return { fallback: 'unavailable' };
    const prompt = system.length + messages.reduce((n, m) => n + m.content.length, 0) + JSON.stringify(spec.jsonSchema).length;
    const reservation = state.ledger.reserve(step, Math.ceil(prompt / CHARS_PER_TOKEN) + settings.maxOutputTokens);
    if (!reservation) {
      noteBudget(ctx);
      return { fallback: 'budget' };
    }
    const t0 = performance.now();
    const signal = callSignalFor(ctx.signal, signals);
    let reply: ChatReply;
    try {
      reply = await limiter.add(
        () => provider.complete({ system, messages, schemaName: spec.schemaName, jsonSchema: spec.jsonSchema, maxTokens: settings.maxOutputTokens }, { signal, log: ctx.log }),
        { signal },
      );
    } catch (error) {
      state.ledger.release(reservation);
      if (ctx.signal.aborted) throw error;
      if (!(error instanceof ModelError)) throw error;
      if (error.kind === 'refusal') {
        ctx.log.warn({ step, err: error.message }, 'the model declined');
        return { fallback: 'refusal' };
      }
      // A request rejected before any succeeded points at the set-up (model, URL, parameters), not the item.
      if (!isEndpointFailure(error) && state.successfulCalls > 0) {
        ctx.log.warn({ step, status: error.status, err: error.message }, 'the model endpoint rejected a request');
        return { fallback: 'rejected' };
      }
      if (deps.onError === 'fail') {
        throw new SynthError('engine', `The language model (${label}) failed at the ${step} step: ${error.message} Set LLM_ON_ERROR=fallback to continue with the extractive engine instead.`, { cause: error });
      }
      if (!state.endpointFailure) {
        const rest = state.successfulCalls === 0 ? 'the extractive engine produced this report instead' : 'the extractive engine did the rest of the run';
        state.endpointFailure = { step, message: `The language model (${label}) failed at the ${step} step (${error.message.replace(/\.$/, '')}); ${rest}.` };
        ctx.log.warn({ step, err: error }, 'the model endpoint failed; falling back to the extractive engine');
        ctx.warn('llm_unavailable', state.endpointFailure.message);
      }
      return { fallback: 'unavailable' };
    }
    state.ledger.record(step, reply.usage, reservation);
    state.successfulCalls++;
    if (state.ledger.budgetReached) noteBudget(ctx);
    ctx.log.debug({ step, ms: Math.round(performance.now() - t0), ...reply.usage }, 'model call');
    return { reply };
  };

  return async <T>(spec: AskSpec<T>, ctx: StageContext): Promise<AskResult<T>> => {
    const messages: ChatMessage[] = [{ role: 'user', content: spec.user }];
    for (let attempt = 0; attempt < 2; attempt++) {
      const outcome = await call(spec.step, spec.system, messages, spec as AskSpec<unknown>, ctx);
      if ('fallback' in outcome) {
        state.countFallback(spec.step, outcome.fallback);
        return { ok: false, reason: outcome.fallback };
      }
      const check = readReply(outcome.reply.text, spec.schema);
      if (check.ok) {
        if (attempt > 0) state.repairs.succeeded++;
        return { ok: true, value: check.value };
      }
      ctx.log.warn({ step: spec.step, attempt, problem: check.problem }, 'invalid model reply');
      if (attempt === 0) {
        state.repairs.attempted++;
        messages.push(
          { role: 'assistant', content: outcome.reply.text.slice(0, MAX_ECHO) || '(empty reply)' },
          { role: 'user', content: repairPrompt(check.problem, outcome.reply.truncated) },
        );
      }
    }
    state.countFallback(spec.step, 'invalid');
    return { ok: false, reason: 'invalid' };
  };
}

function repairPrompt(problem: string, truncated: boolean): string {
  return [
    `Your previous reply cannot be used. ${problem}`,
    truncated ? 'It was cut off at the output limit: give a shorter answer (fewer items, shorter texts).' : '',
    'Reply again with only one JSON object in the required structure, no other text.',
  ]
    .filter(Boolean)
    .join(' ');
}
