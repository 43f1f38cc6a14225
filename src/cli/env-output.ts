/** The human and wide tables of `env list` and the wide `env status`. Pure: `now` is passed in. */
import { describeUpdate } from '../core/index.js';
import type { EnvironmentList, EnvironmentView, JsonValue } from '../api/contract.js';
import { ageColumn, instancesColumn, NONE, table, ttlLeftColumn } from './output.js';

/** `env list`: NAME PHASE TYPE OWNER NAMESPACE, and with wide INSTANCES AGE TTL (time left). */
export function environmentRows(list: EnvironmentList, wide: boolean, now: number): string[][] {
  const header = ['NAME', 'PHASE', 'TYPE', 'OWNER', 'NAMESPACE'];
  const rows = [wide ? [...header, 'INSTANCES', 'AGE', 'TTL'] : header];
  for (const e of list.items) {
    const row = [e.name, e.phase, e.type ?? '', e.owner ?? '', e.namespace ?? ''];
    if (wide)
      row.push(
        instancesColumn(e.instances),
        ageColumn(e.createdAt, now),
        ttlLeftColumn(e.ttl, e.createdAt, now),
      );
    rows.push(row);
  }
  return rows;
}

/**
 * `env status -o wide`: the phase line, where and whose it is, a table of the steps with the
 * version each instance runs and the update available, the conditions, then outputs and problems.
 */
export function describeStatusWide(view: EnvironmentView, now: number): string {
  const { status, metadata } = view;
  const spec = view.spec ?? {};
  const text = (value: JsonValue | undefined) => (typeof value === 'string' && value !== '' ? value : NONE);
  const created = metadata.creationTimestamp;
  const ttl = typeof spec.ttl === 'string' ? spec.ttl : undefined;
  const out = [
    `${metadata.name}: ${status.phase}${status.message ? ` - ${status.message}` : ''}${
      status.cluster === 'simulated' ? ' (cluster: simulated)' : ''
    }`,
    [
      `namespace: ${text(spec.namespace)}`,
      `type: ${text(spec.type)}`,
      `owner: ${text(spec.owner)}`,
      `age: ${ageColumn(created, now)}`,
      `ttl left: ${ttlLeftColumn(ttl, created, now)}`,
      `resourceVersion: ${text(metadata.resourceVersion)}`,
    ].join('  '),
    '',
  ].join('\n');

  const versions = new Map((status.versions ?? []).map((v) => [v.instance, v]));
  const steps = [['INSTANCE', 'PART', 'PHASE', 'REASON', 'VERSION', 'UPDATE', 'MESSAGE']];
  for (const step of status.steps) {
    const version = versions.get(step.instance);
    steps.push([
      step.instance,
      step.part,
      step.phase,
      step.reason || NONE,
      version?.version === undefined ? NONE : `${version.entry}@${version.version}`,
      (version && describeUpdate(version)) || NONE,
      step.message,
    ]);
  }
  const conditions = [['CONDITION', 'STATUS', 'REASON', 'MESSAGE']];
  for (const c of status.conditions) conditions.push([c.type, c.status, c.reason || NONE, c.message]);

  const lines: string[] = [];
  for (const [instance, outputs] of Object.entries(status.outputs))
    for (const [key, value] of Object.entries(outputs))
      lines.push(`output ${instance}.${key} = ${JSON.stringify(value)}`);
  for (const problem of status.errors ?? [])
    lines.push(`error ${problem.file ?? ''}#${problem.path}: ${problem.message}`);
  for (const problem of status.warnings ?? [])
    lines.push(`warning ${problem.file ?? ''}#${problem.path}: ${problem.message}`);

  return [
    out,
    status.steps.length > 0 ? `\n${table(steps)}` : '',
    status.conditions.length > 0 ? `\n${table(conditions)}` : '',
    lines.length > 0 ? `\n${lines.join('\n')}\n` : '',
  ].join('');
}
