/**
 * What a notification says and when one is sent: on a real change of phase to Ready or to Failed,
 * when an environment is deleted, and once an hour before a ttl runs out. The body carries a
 * Slack-compatible `text` and the same facts as fields; it is signed with HMAC-SHA256 of the raw
 * body, as GitHub signs its webhooks (`X-Hub-Signature-256: sha256=<hex>`).
 */
import { createHmac } from 'node:crypto';
import type { EnvironmentPhase, StepStatus } from '../status/index.js';

export type NotificationEvent = 'ready' | 'failed' | 'deleted' | 'expiring';

export const SIGNATURE_HEADER = 'X-Envcat-Signature';

/** How long before its ttl runs out an environment's owners are told. */
export const EXPIRY_WARNING_MS = 60 * 60 * 1000;

/**
 * The event a change of phase is, if any. `previous` undefined (the first status this process saw
 * of an environment, after a start or a change of leader) is no change: it was already so.
 */
export function phaseNotification(
  previous: EnvironmentPhase | undefined,
  current: EnvironmentPhase,
): NotificationEvent | undefined {
  if (previous === undefined || previous === current) return undefined;
  if (current === 'Ready') return 'ready';
  if (current === 'Failed') return 'failed';
  return undefined;
}

export interface Notification {
  event: NotificationEvent;
  environment: string;
  /** The phase now (`Deleted` once the environment is gone). */
  phase: EnvironmentPhase | 'Deleted';
  previousPhase?: EnvironmentPhase;
  message: string;
  /** ISO time of the change. */
  time: string;
  /** For `expiring`: when the ttl runs out (ISO time). */
  expiresAt?: string;
}

/** The message of a status for a notification: the failed step, its reason and message. */
export function failureMessage(failed: StepStatus | undefined, message: string): string {
  if (!failed) return message;
  return `${failed.instance}/${failed.part} ${failed.reason}: ${failed.message || failed.reason}`;
}

/** One line a person reads in a chat channel. */
export function notificationText(n: Notification): string {
  switch (n.event) {
    case 'ready':
      return `${n.environment} is ready`;
    case 'failed':
      return `${n.environment} failed: ${n.message}`;
    case 'deleted':
      return `${n.environment} was deleted`;
    case 'expiring':
      return `${n.environment} expires in ${expiresIn(n)} (its ttl runs out at ${n.expiresAt})`;
  }
}

function expiresIn(n: Notification): string {
  const left = n.expiresAt ? Date.parse(n.expiresAt) - Date.parse(n.time) : EXPIRY_WARNING_MS;
  const minutes = Math.max(1, Math.round(left / 60_000));
  return minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/** The request body: stable key order, so the bytes signed are the bytes sent. */
export function notificationBody(n: Notification): string {
  return JSON.stringify({
    text: notificationText(n),
    event: n.event,
    environment: n.environment,
    phase: n.phase,
    ...(n.previousPhase ? { previousPhase: n.previousPhase } : {}),
    message: n.message,
    time: n.time,
    ...(n.expiresAt ? { expiresAt: n.expiresAt } : {}),
  });
}

/** `sha256=<hex>` of the HMAC-SHA256 of the raw body with the shared secret. */
export function notificationSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export type ExpiryWarning =
  /** No ttl, or its creation time is not known yet. */
  | { kind: 'none' }
  /** Too early: look again after `inMs`. */
  | { kind: 'later'; inMs: number }
  /** Within the hour before the ttl runs out (and not past it). */
  | { kind: 'warn'; expiresAt: number };

/** Whether to warn now that an environment's ttl runs out within EXPIRY_WARNING_MS. */
export function expiryWarning(args: {
  ttlSeconds: number | undefined;
  createdAt: number | undefined;
  now: number;
}): ExpiryWarning {
  if (args.ttlSeconds === undefined || args.createdAt === undefined) return { kind: 'none' };
  const expiresAt = args.createdAt + args.ttlSeconds * 1000;
  if (expiresAt <= args.now) return { kind: 'none' };
  const warnAt = expiresAt - EXPIRY_WARNING_MS;
  if (args.now < warnAt) return { kind: 'later', inMs: Math.min(warnAt - args.now, 2 ** 31 - 1) };
  return { kind: 'warn', expiresAt };
}
