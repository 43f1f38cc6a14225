/**
 * The output-reference picker's rules: which `<instance>.<output>` may feed a parameter. They follow
 * the server's checks (src/core/environment/validate.ts), so the picker offers only references the
 * server accepts: the producer is another infrastructure (iac or hybrid) instance, a sensitive output
 * feeds only a secret parameter and a plain one only a plain parameter, the output's schema fits the
 * parameter's (the same compatibility function), and no reference closes a cycle.
 */
import { schemaIncompatibility, isSchema, isSecretSchema } from '../../core/browser.js';
import type {
  EntryType,
  JsonSchema,
  JsonValue,
  OutputDeclaration,
  OutputReferenceValue,
} from '../../api/contract.js';
import { typeLabel } from './schema.js';

const OUTPUT_REFERENCE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([A-Za-z][A-Za-z0-9_]*)$/;

export interface ChosenInstance {
  name: string;
  type: EntryType;
  outputs: readonly OutputDeclaration[];
  /** The references this instance already makes: parameter → `<instance>.<output>`. */
  references?: Readonly<Record<string, string>>;
}

export interface ReferenceTarget {
  /** The consuming instance. */
  instance: string;
  parameter: string;
  schema: JsonSchema;
  /** Secret per the API's `secretParameters`, when the schema itself does not say so. */
  secret?: boolean;
}

export interface ReferenceCandidate {
  /** `<instance>.<output>`, the value of `fromOutput`. */
  value: string;
  instance: string;
  output: string;
  type: string;
  sensitive: boolean;
  description?: string;
}

export function isOutputReference(value: JsonValue | undefined): value is JsonValue & OutputReferenceValue {
  return isSchema(value) && typeof value.fromOutput === 'string' && Object.keys(value).length === 1;
}

export function parseReference(reference: string): { instance: string; output: string } | undefined {
  const m = OUTPUT_REFERENCE.exec(reference);
  return m ? { instance: m[1] as string, output: m[3] as string } : undefined;
}

/** Every `<instance>.<output>` that may feed the target parameter, in the order the instances were chosen. */
export function referenceCandidates(
  chosen: readonly ChosenInstance[],
  target: ReferenceTarget,
): ReferenceCandidate[] {
  const consumer = chosen.find((i) => i.name === target.instance);
  const secret = target.secret === true || isSecretSchema(target.schema);
  const candidates: ReferenceCandidate[] = [];
  for (const producer of chosen) {
    if (producer.name === target.instance || producer.type === 'yaml') continue;
    if (consumer && consumer.type !== 'yaml' && dependsOn(chosen, producer.name, consumer.name)) continue;
    for (const output of producer.outputs) {
      const sensitive = output.sensitive === true;
      if (sensitive !== secret) continue;
      if (schemaIncompatibility(output.schema, target.schema) !== undefined) continue;
      candidates.push({
        value: `${producer.name}.${output.name}`,
        instance: producer.name,
        output: output.name,
        type: typeLabel(output.schema),
        sensitive,
        ...(output.description ? { description: output.description } : {}),
      });
    }
  }
  return candidates;
}

/**
 * Whether `from` already takes (directly or through others) an output of `to`. A reference from
 * `to` to `from` would then close a cycle between infrastructure steps, which the planner rejects.
 * (For a hybrid consumer whose parameter only feeds its apps part it would not; the picker stays on
 * the safe side there.)
 */
function dependsOn(chosen: readonly ChosenInstance[], from: string, to: string): boolean {
  const byName = new Map(chosen.map((i) => [i.name, i]));
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (name === to) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const reference of Object.values(byName.get(name)?.references ?? {})) {
      const target = parseReference(reference);
      if (target) queue.push(target.instance);
    }
  }
  return false;
}

/** A reference that is no longer offered (its producer was removed or changed): why, for the chip. */
export function referenceProblem(
  chosen: readonly ChosenInstance[],
  target: ReferenceTarget,
  reference: string,
): string | undefined {
  const parsed = parseReference(reference);
  if (!parsed) return 'must be <instance>.<output>';
  const producer = chosen.find((i) => i.name === parsed.instance);
  if (!producer) return `no instance named "${parsed.instance}" in this environment`;
  if (!producer.outputs.some((o) => o.name === parsed.output))
    return `"${parsed.instance}" has no output "${parsed.output}"`;
  if (!referenceCandidates(chosen, target).some((c) => c.value === reference))
    return `${reference} cannot feed this parameter`;
  return undefined;
}
