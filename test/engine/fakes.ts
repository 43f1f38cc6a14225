/** Plain fakes for the engine's units: a logger that keeps what it logged, a queue that keeps what it was asked. */
import { pino, type Logger } from 'pino';
import type { Step } from '../../src/core/index.js';
import type { Requeue } from '../../src/shared/index.js';

/** A plan step of `instance`, waiting for nothing, in wave 1. */
export function planStep(instance: string, part: 'infra' | 'apps'): Step {
  return {
    id: `${instance}/${part}`,
    instance,
    part,
    dependsOn: [],
    phase: part === 'infra' ? 1 : 2,
    wave: 1,
  };
}

export interface LoggedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function recordingLogger(): { logger: Logger; lines: LoggedLine[]; messages: () => string[] } {
  const lines: LoggedLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}

export function recordingQueue(): Requeue & {
  added: string[];
  after: Array<[key: string, delayMs: number]>;
} {
  const added: string[] = [];
  const after: Array<[string, number]> = [];
  return {
    added,
    after,
    add: (key) => void added.push(key),
    addAfter: (key, delayMs) => void after.push([key, delayMs]),
  };
}
