/** Plain fakes for the engine's units: a logger that keeps what it logged, a queue that keeps what it was asked. */
import { pino, type Logger } from 'pino';
import type { Requeue } from '../../src/shared/index.js';

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
