/**
 * The environment's phase from its steps' phases alone: what environmentStatus reports for an
 * environment that is not being deleted, and what the history replays at past moments
 * (core/history), so that the two cannot disagree.
 */
import type { Part } from '../plan/index.js';

export type EnvironmentPhase =
  | 'Creating'
  | 'ProvisioningInfrastructure'
  | 'InfrastructureReady'
  | 'DeployingApplications'
  | 'Ready'
  | 'Failed'
  | 'Invalid'
  | 'Deleting';

export const ENVIRONMENT_PHASES: readonly EnvironmentPhase[] = [
  'Creating',
  'ProvisioningInfrastructure',
  'InfrastructureReady',
  'DeployingApplications',
  'Ready',
  'Failed',
  'Invalid',
  'Deleting',
];

/** A step: not yet in Git, in Git and converging, converged, failed, or on its way out. */
export type StepPhase = 'Pending' | 'Progressing' | 'Ready' | 'Failed' | 'Deleting';

/**
 * A failed step fails the environment; nothing committed is Creating; then phase 1 (every infra
 * step Ready) before phase 2 (the apps steps). Invalid and Deleting come from the request, not from
 * the steps.
 */
export function phaseOfSteps(steps: ReadonlyArray<{ part: Part; phase: StepPhase }>): EnvironmentPhase {
  if (steps.some((s) => s.phase === 'Failed')) return 'Failed';
  if (steps.every((s) => s.phase === 'Pending')) return 'Creating';
  const infra = steps.filter((s) => s.part === 'infra');
  const apps = steps.filter((s) => s.part === 'apps');
  if (!infra.every((s) => s.phase === 'Ready')) return 'ProvisioningInfrastructure';
  if (apps.length === 0) return 'Ready';
  if (apps.every((s) => s.phase === 'Pending')) return 'InfrastructureReady';
  if (!apps.every((s) => s.phase === 'Ready')) return 'DeployingApplications';
  return 'Ready';
}
