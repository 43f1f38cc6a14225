/**
 * Reads the interface of a Terraform module (its `variable` and `output` blocks) with a real HCL
 * parser (@cdktf/hcl2json: HashiCorp's hcl library compiled to WebAssembly), never with regexes.
 */
import type { EntryFile, TerraformModule, TerraformOutput, TerraformVariable } from '../catalog/types.js';
import { terraformPolicyProblems, type TerraformAllowance } from './policy.js';

export {
  parseTerraformAllow,
  terraformPolicyProblems,
  TERRAFORM_ALLOWANCES,
  type TerraformAllowance,
} from './policy.js';

export interface TerraformProblem {
  file: string;
  path: string;
  message: string;
}

type Block = Record<string, unknown>;
type Parsed = { variable?: Record<string, Block[]>; output?: Record<string, Block[]> };

/** `${list(string)}` → `list(string)`: hcl2json wraps expressions in `${…}`. */
function expression(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\$\{([\s\S]*)\}$/.exec(value);
  return (m ? m[1] : value)?.trim();
}

/**
 * The variables and outputs of a module's `.tf` files, and every problem: HCL that does not parse,
 * declarations given twice, and what the module must not contain where it runs (./policy.ts)
 * unless `allow` lets it.
 */
export async function analyzeModule(
  files: readonly EntryFile[],
  allow: ReadonlySet<TerraformAllowance> = new Set(),
): Promise<{
  module: TerraformModule;
  problems: TerraformProblem[];
}> {
  const variables = new Map<string, TerraformVariable>();
  const outputs = new Map<string, TerraformOutput>();
  const problems: TerraformProblem[] = [];
  const tfFiles = files.filter((f) => f.path.endsWith('.tf')).sort((a, b) => (a.path < b.path ? -1 : 1));
  if (tfFiles.length === 0) problems.push({ file: '', path: '', message: 'the module has no .tf files' });

  // Imported at the first module read, not with the core: loading it starts the parser's
  // WebAssembly, which the simulated cluster's thread needs only once it applies a Workspace.
  const { parse } = await import('@cdktf/hcl2json');
  for (const file of tfFiles) {
    let parsed: Parsed;
    try {
      parsed = (await parse(file.path, file.content)) as Parsed;
    } catch (error) {
      problems.push({
        file: file.path,
        path: '',
        message: `invalid HCL: ${String((error as Error).message ?? error)}`,
      });
      continue;
    }
    for (const p of terraformPolicyProblems(file.path, parsed as Record<string, unknown>, allow))
      problems.push({ file: file.path, ...p });
    for (const [name, blocks] of Object.entries(parsed.variable ?? {})) {
      const block = blocks[0] ?? {};
      if (variables.has(name)) {
        problems.push({
          file: file.path,
          path: `/variable/${name}`,
          message: `variable "${name}" is declared twice`,
        });
      }
      variables.set(name, {
        name,
        type: expression(block.type),
        hasDefault: 'default' in block,
        defaultIsNull: 'default' in block && block.default === null,
        sensitive: block.sensitive === true,
        file: file.path,
      });
    }
    for (const [name, blocks] of Object.entries(parsed.output ?? {})) {
      const block = blocks[0] ?? {};
      if (outputs.has(name)) {
        problems.push({
          file: file.path,
          path: `/output/${name}`,
          message: `output "${name}" is declared twice`,
        });
      }
      outputs.set(name, { name, sensitive: block.sensitive === true, file: file.path });
    }
  }
  return { module: { variables, outputs }, problems };
}

/** The JSON Schema types a Terraform type expression accepts (undefined: any). */
export function schemaTypesForTerraformType(type: string | undefined): string[] | undefined {
  if (!type || type === 'any') return undefined;
  const head = type.replace(/\s/g, '').split('(')[0];
  switch (head) {
    case 'string':
      return ['string'];
    case 'number':
      return ['number', 'integer'];
    case 'bool':
      return ['boolean'];
    case 'list':
    case 'set':
    case 'tuple':
      return ['array'];
    case 'map':
    case 'object':
      return ['object'];
    default:
      return undefined;
  }
}
