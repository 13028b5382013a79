/**
 * Every test file runs with this guard (vitest `setupFiles`): a TCP connection to any host but this
 * machine's loopback is refused (as ECONNREFUSED would be) and recorded, and the test that made it
 * fails, naming the host. Remotes (scholarly APIs, Slack, Discord, models) are loopback fakes; a test
 * that forgets to point a client at one cannot reach a real host.
 */
import net from 'node:net';
import { afterEach } from 'vitest';

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3}|0\.0\.0\.0|)$/i;
const refused: string[] = [];

/** The host a `Socket.connect` call names (undefined for a local socket path). */
function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    return options.path !== undefined ? undefined : (options.host ?? 'localhost');
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return typeof second === 'string' ? second : 'localhost';
  return undefined;
}

const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const host = hostOf(Array.isArray(args[0]) ? (args[0] as unknown[]) : args);
  if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ''))) {
    refused.push(host);
    const error = Object.assign(new Error(`connect ECONNREFUSED ${host} (tests may only reach loopback fakes)`), { code: 'ECONNREFUSED' });
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
} as typeof net.Socket.prototype.connect;

/** Takes the hosts refused so far (for the guard's own test, which reaches out on purpose). */
export function drainRefused(): string[] {
  return refused.splice(0);
}

afterEach(() => {
  if (refused.length === 0) return;
  const hosts = [...new Set(refused.splice(0))];
  throw new Error(`This test tried to reach ${hosts.join(', ')}: point it at a loopback fake.`);
});
