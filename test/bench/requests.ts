/** Environment requests the benchmarks validate, built from the built-in catalog entries. */
import type { EnvironmentDocument } from '../../src/core/index.js';

export const FAKE_API_KEY = '0123456789abcdef0123456789abcdef';
/** A password the catalog accepts (≥ 12 printable characters, no "/", '"', "@" or space). */
export const FAKE_PASSWORD = 'Bench-burst-pw-0123456789';

/** Five instances: network (vpc), db (rds-postgres in that VPC), uploads (s3), monitoring, app. */
export function fiveInstanceTemplate(): EnvironmentDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'dev-0', labels: { team: 'checkout' } },
    spec: {
      type: 'pre-release',
      description: 'Validation throughput benchmark',
      owner: 'platform-team',
      ttl: '24h',
      catalogs: [
        {
          name: 'network',
          entry: 'vpc@^1',
          parameters: { cidrBlock: '10.20.0.0/16', azCount: 2 },
        },
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: {
            databaseName: 'orders',
            instanceClass: 'db.t3.small',
            vpcId: { fromOutput: 'network.vpcId' },
            subnetIds: { fromOutput: 'network.privateSubnetIds' },
          },
        },
        {
          name: 'uploads',
          entry: 's3-bucket@^1',
          parameters: { versioningEnabled: true, expirationDays: 7 },
        },
        {
          name: 'monitoring',
          entry: 'datadog-agent@^1',
          parameters: { clusterName: 'dev-0', apiKey: FAKE_API_KEY, logsEnabled: true },
        },
        {
          name: 'app',
          entry: 'sample-app@^1',
          parameters: { replicas: 2, databaseEndpoint: { fromOutput: 'db.endpoint' } },
        },
      ],
    },
  };
}

/** Three instances (the domain example): db (rds-postgres), monitoring, app fed by db.endpoint. */
export function threeInstanceRequest(name: string): EnvironmentDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      namespace: name,
      type: 'pre-release',
      description: 'Plan and render benchmark',
      ttl: '24h',
      catalogs: [
        {
          name: 'db',
          entry: 'rds-postgres@^1',
          parameters: { databaseName: 'feature_db', allocatedStorage: 20 },
        },
        {
          name: 'monitoring',
          entry: 'datadog-agent@^1',
          parameters: { clusterName: name, apiKey: FAKE_API_KEY },
        },
        {
          name: 'app',
          entry: 'sample-app@^1',
          parameters: { replicas: 2, databaseEndpoint: { fromOutput: 'db.endpoint' } },
        },
      ],
    },
  };
}

/**
 * threeInstanceRequest with a secret parameter in each instance: the database's master password,
 * the monitoring agent's API key, and the same password for the app. Two waves: db and monitoring
 * first, then app (it consumes db.endpoint).
 */
export function threeInstanceRequestWithSecrets(name: string): EnvironmentDocument {
  const request = threeInstanceRequest(name);
  request.spec.description = 'REST API burst benchmark';
  const secrets: Record<string, Record<string, string>> = {
    db: { masterPassword: FAKE_PASSWORD },
    app: { databasePassword: FAKE_PASSWORD },
  };
  for (const instance of request.spec.catalogs)
    instance.parameters = { ...instance.parameters, ...secrets[instance.name] };
  return request;
}

/** A fresh copy of `template` under another name, so nothing can be cached by identity. */
export function freshRequest(template: EnvironmentDocument, name: string): EnvironmentDocument {
  const request = structuredClone(template);
  request.metadata.name = name;
  for (const instance of request.spec.catalogs) {
    if (instance.parameters && 'clusterName' in instance.parameters) instance.parameters.clusterName = name;
  }
  return request;
}
