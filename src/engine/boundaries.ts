/**
 * The step boundaries of a create, an update (an upgrade and a ttl patch are updates) and a
 * delete: the moments between one durable write and the
 * next, where a crash leaves the most half-done. The service and the engine report each one to an
 * optional hook as they pass it; the server's crash hook (ENVCAT_CRASH_AT, src/server/crash-hook.ts)
 * kills the process there, so the kill -9 tests stop it exactly at a boundary instead of after a
 * sleep.
 */
export const BOUNDARIES = [
  /** The create commit (environment.yaml + namespace claim) landed; the Secrets are not written. */
  'create:committed',
  /** The Secrets are written; the request is not answered. */
  'create:secrets-written',
  /** A wave's files landed in Git; Argo CD was not asked to refresh, the status not updated. */
  'wave:committed',
  /**
   * An update's (or upgrade's, or ttl patch's) commit of environment.yaml landed; the Secrets of
   * the instances it adds are not written, the request is not answered.
   */
  'update:committed',
  /** The update's Secrets are written (none for an upgrade); the request is not answered. */
  'update:secrets-written',
  /** The files of steps an update changed landed in Git, in place; those that wait for them did not. */
  'update:steps-committed',
  /** The app files of instances an update removed are removed from Git; their infra files are not. */
  'update:apps-removed',
  /** The infra files of instances an update removed are removed from Git. */
  'update:infra-removed',
  /** The Secrets of instances an update removed are deleted, their steps being gone (dropped-secrets.ts). */
  'update:secrets-deleted',
  /** The deletion mark is committed; the request is not answered. */
  'delete:requested',
  /** The app files are removed from Git. */
  'deletion:apps-removed',
  /** A wave of infra files is removed from Git. */
  'deletion:infra-removed',
  /** The environment's Secrets are deleted from the cluster. */
  'deletion:secrets-deleted',
  /** The environment's own files are removed; its namespace claim stays. */
  'deletion:files-removed',
  /** The namespace claim is released; the engine has not forgotten the environment. */
  'deletion:claim-released',
] as const;

export type Boundary = (typeof BOUNDARIES)[number];

/** Called as a boundary is passed; it may not return (a crash hook). */
export type BoundaryHook = (boundary: Boundary) => void;
