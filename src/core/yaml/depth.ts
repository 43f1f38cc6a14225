/**
 * How deep a YAML text nests, measured on the parser's concrete syntax tree (the yaml library's
 * Lexer and Parser are iterative) before anything recursive runs: the composer and `toJS` recurse
 * once per level, so 10,000 nested flow sequences would overflow the stack there.
 */
import { CST } from 'yaml';
import { escapePointerToken } from '../names/index.js';

type Token = CST.Token;

interface Pending {
  token: Token;
  depth: number;
  pointer: string;
}

function isCollection(token: Token): token is CST.BlockMap | CST.BlockSequence | CST.FlowCollection {
  return token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
}

function keyToken(key: Token | null | undefined): string {
  if (!key) return '';
  const scalar = CST.isScalar(key) ? CST.resolveAsScalar(key) : null;
  return scalar ? escapePointerToken(scalar.value) : '?';
}

/**
 * The first collection nested deeper than `maxDepth` (the root collection is level 1): its JSON
 * pointer and offset in the text, or undefined. `documents` are the Parser's top-level tokens.
 */
export function yamlTooDeep(
  documents: readonly Token[],
  maxDepth: number,
): { pointer: string; offset: number } | undefined {
  const stack: Pending[] = [];
  for (const document of documents)
    if (document.type === 'document' && document.value)
      stack.push({ token: document.value, depth: 1, pointer: '' });
  while (stack.length > 0) {
    const { token, depth, pointer } = stack.pop()!;
    if (!isCollection(token)) continue;
    if (depth > maxDepth) return { pointer, offset: token.offset };
    const isMap =
      token.type === 'block-map' || (token.type === 'flow-collection' && token.start.source === '{');
    token.items.forEach((item, index) => {
      const base = isMap ? `${pointer}/${keyToken(item.key)}` : `${pointer}/${index}`;
      if (item.key && isCollection(item.key))
        stack.push({ token: item.key, depth: depth + 1, pointer: base });
      if (item.value) stack.push({ token: item.value, depth: depth + 1, pointer: base });
    });
  }
  return undefined;
}
