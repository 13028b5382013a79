/**
 * Acks first: Slack wants every request acknowledged within 3 s, and a burst of commands shares one
 * event loop with the work each command starts (posting the parent, starting a run). The gate watches
 * the HTTP server; follow-up work waits until no request is waiting for its answer and none has
 * arrived for `quietMs` (requests of a burst trickle in over tens of milliseconds), or at most
 * `maxWaitMs`, so a steady stream of requests cannot starve it. The last request of a burst is then
 * acked about as fast as the first.
 */
import type { Server } from 'node:http';

/** The gate. */
export interface AckGate {
  /** Counts the requests of a server from arrival to response. */
  watch(server: Server): void;
  /** Resolves once the server is quiet, or after `maxWaitMs`. */
  whenIdle(): Promise<void>;
}

/** Options of {@link createAckGate}. */
export interface AckGateOptions {
  /** Quiet time after the last arrival (default 30 ms). */
  quietMs?: number;
  /** Longest wait (default 250 ms). */
  maxWaitMs?: number;
  now?: () => number;
}

/** Creates a gate; until `watch` is called it is always idle (Socket Mode). */
export function createAckGate(options: AckGateOptions = {}): AckGate {
  const quietMs = options.quietMs ?? 30;
  const maxWaitMs = options.maxWaitMs ?? 250;
  const now = options.now ?? (() => performance.now());
  let watching = false;
  let inFlight = 0;
  let lastArrival = -Infinity;
  const quiet = () => inFlight === 0 && now() - lastArrival >= quietMs;

  return {
    watch(server) {
      watching = true;
      server.on('connection', () => {
        lastArrival = now();
      });
      server.on('request', (_req, res) => {
        inFlight++;
        lastArrival = now();
        let done = false;
        const leave = () => {
          if (done) return;
          done = true;
          inFlight--;
        };
        res.once('finish', leave);
        res.once('close', leave);
      });
    },
    whenIdle() {
      if (!watching || quiet()) return Promise.resolve();
      const deadline = now() + maxWaitMs;
      return new Promise((resolve) => {
        const check = () => {
          if (quiet() || now() >= deadline) resolve();
          else setTimeout(check, Math.max(1, Math.min(quietMs - (now() - lastArrival), deadline - now(), quietMs)));
        };
        setTimeout(check, Math.max(1, quietMs - (now() - lastArrival)));
      });
    },
  };
}
