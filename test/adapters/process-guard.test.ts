import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardProcess } from '../../adapters/process-guard.js';
import { createLogger } from '../../src/logger.js';

describe("npm start's process guard", () => {
  it('logs an unhandled rejection (secrets cut) instead of letting it end the process, and can be removed', () => {
    let logged = '';
    const log = createLogger({
      level: 'info',
      secrets: ['sk-secret-value-123'],
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          logged += chunk.toString();
          done();
        },
      }),
    });
    const processLike = new EventEmitter();
    const undo = guardProcess(log, processLike);
    expect(processLike.listenerCount('unhandledRejection')).toBe(1);
    processLike.emit('unhandledRejection', new Error('a library gave up with sk-secret-value-123'), Promise.resolve());
    expect(logged).toContain('"msg":"unhandled promise rejection; the bot keeps running"');
    expect(logged).toContain('a library gave up with [redacted]');
    undo();
    expect(processLike.listenerCount('unhandledRejection')).toBe(0);
  });
});
