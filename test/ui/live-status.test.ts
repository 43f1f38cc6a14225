/** Which of two statuses of an environment the detail view shows (logic/live-status.ts). */
import type { EnvironmentPhase, EnvironmentStatus } from '../../src/api/contract.js';
import { newerStatus } from '../../src/ui/logic/live-status.js';

const status = (phase: EnvironmentPhase, message: string, observedAt: string): EnvironmentStatus => ({
  phase,
  message,
  conditions: [],
  steps: [],
  outputs: {},
  commits: [],
  observedAt,
  cluster: 'simulated',
});

const retrying = status('DeployingApplications', 'waiting for web', '2026-12-06T20:19:42.439Z');
const ready = status('Ready', 'all steps are ready', '2026-12-06T20:19:42.523Z');

describe('newerStatus', () => {
  it('shows the first status heard of', () => {
    expect(newerStatus(undefined, retrying)).toBe(retrying);
  });

  it('moves on to a status observed later', () => {
    expect(newerStatus(retrying, ready)).toBe(ready);
  });

  it('keeps Ready from the event stream when the answer to Retry, observed before it, arrives last', () => {
    expect(newerStatus(ready, retrying)).toBe(ready);
  });

  it('takes the one that arrived last when both were observed at the same time', () => {
    const again = status('Ready', 'all steps are ready', ready.observedAt);
    expect(newerStatus(ready, again)).toBe(again);
  });

  it('takes the one that arrived last when a time cannot be read', () => {
    const unreadable = status('Ready', 'all steps are ready', 'not a time');
    expect(newerStatus(unreadable, retrying)).toBe(retrying);
    expect(newerStatus(retrying, unreadable)).toBe(unreadable);
  });
});
