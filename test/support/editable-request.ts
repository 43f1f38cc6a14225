/**
 * An Environment document as a test reads it back and edits it before sending it again: typed
 * loosely enough to set wrong values on purpose, strictly enough to reach its fields.
 */
export interface EditableRequest {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: {
    namespace?: string;
    owner?: string;
    description?: string;
    type?: string;
    catalogs: Array<{ name: string; entry: string; version?: string; parameters: Record<string, unknown> }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
