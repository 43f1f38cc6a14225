/**
 * A hybrid entry whose one secret parameter both parts read, to publish in tests of new secret
 * values: the database's admin password is a Terraform variable (its Workspace reads it from the
 * `-params` Secret through varFiles), and the app's pods get the same password from that Secret
 * (secretKeyRef), with the database's endpoint. None of the built-in entries has such a secret
 * (postgres-with-pgadmin's pgAdmin password is for its apps only).
 */
export const SECRET_HYBRID = 'app-with-db';

export function secretHybridFiles(): Array<{ path: string; content: string }> {
  return [
    {
      path: 'catalog.yaml',
      content: `apiVersion: envcat.io/v1alpha1
kind: CatalogEntry
metadata:
  name: ${SECRET_HYBRID}
  version: 1.0.0
  title: App with its database
  description: A database and the app that logs in to it with the same admin password
  owner: platform-team
spec:
  type: hybrid
  parameters:
    type: object
    additionalProperties: false
    required: [adminPassword]
    properties:
      adminPassword:
        type: string
        title: Admin password
        description: The database's admin password, which the app logs in with.
        minLength: 12
        writeOnly: true
        x-envcat-secret: true
  outputs:
    - { name: endpoint, schema: { type: string } }
  iac: { module: ./terraform }
  apps: { manifests: ./manifests }
`,
    },
    {
      path: 'terraform/main.tf',
      content: `variable "adminPassword" {
  type      = string
  sensitive = true
}

output "endpoint" {
  value = "db.internal.example.com"
}
`,
    },
    {
      path: 'manifests/deployment.yaml',
      content: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: \${{ instance.name }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: \${{ instance.name }}
  template:
    metadata:
      labels:
        app: \${{ instance.name }}
    spec:
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.7.1
          env:
            - name: DB_HOST
              value: \${{ outputs.endpoint }}
            - name: DB_PASSWORD
              valueFrom: \${{ parameters.adminPassword }}
`,
    },
    {
      path: 'examples/basic.yaml',
      content: `apiVersion: envcat.io/v1alpha1
kind: Environment
metadata: { name: dev-app-with-db }
spec:
  type: pre-release
  catalogs:
    - { name: shop, entry: "${SECRET_HYBRID}@^1", parameters: { adminPassword: example-password-1 } }
`,
    },
  ];
}
