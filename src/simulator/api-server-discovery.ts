/**
 * The discovery documents of the simulated API server (/version, /api, /apis, /apis/<group> and
 * each group version's resource list), built from its kind registry; aggregated (v2) discovery is
 * not served.
 */
import type { IncomingMessage } from 'node:http';
import { type KindRegistry, STATUS_VERBS, VERBS } from '../cluster/index.js';
import { StatusErrors } from './api-server-status.js';

const KUBERNETES_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0' };

export function versionInfo(): unknown {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T07:28:49Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
    emulated: 'envcat-simulator',
  };
}

export function apiVersions(req: IncomingMessage): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }],
  };
}

function groupDocument(group: string, versions: string[]): unknown {
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: entries, preferredVersion: entries[0] };
}

export function groupList(kinds: KindRegistry): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: kinds.groups().map(({ group, versions }) => groupDocument(group, versions)),
  };
}

export function apiGroup(kinds: KindRegistry, name: string): unknown {
  const found = kinds.groups().find((g) => g.group === name);
  if (!found) throw StatusErrors.noRoute();
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    ...(groupDocument(found.group, found.versions) as object),
  };
}

export function resourceList(kinds: KindRegistry, group: string, version: string): unknown {
  const specs = kinds.inGroupVersion(group, version);
  if (specs.length === 0) throw StatusErrors.noRoute();
  const resources = specs.flatMap((spec) => {
    const main = {
      name: spec.plural,
      singularName: spec.kind.toLowerCase(),
      namespaced: spec.namespaced,
      kind: spec.kind,
      verbs: [...VERBS],
      ...(spec.shortNames ? { shortNames: [...spec.shortNames] } : {}),
    };
    const status = {
      name: `${spec.plural}/status`,
      singularName: '',
      namespaced: spec.namespaced,
      kind: spec.kind,
      verbs: [...STATUS_VERBS],
    };
    return spec.statusSubresource ? [main, status] : [main];
  });
  return {
    kind: 'APIResourceList',
    ...(group === '' ? {} : { apiVersion: 'v1' }),
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}
