import { EnvcatError } from '../core/index.js';

/** Error details for logs: code, path and message only (messages never carry secret values). */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof EnvcatError) return { code: error.code, path: error.path, message: error.message };
  if (error instanceof Error) return { message: error.message, name: error.name };
  return { message: String(error) };
}
