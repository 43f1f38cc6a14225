/**
 * The plan as a picture: one column per wave (VPC → database → app), a node per step in its state,
 * an edge per dependency labelled with the outputs it carries. Pure: plan, edges and (on an
 * environment's page) the steps' status in, positions and words out; PlanGraph.tsx draws them.
 */
import type { Plan, PlanEdge, StepPhase, StepStatus } from '../../api/contract.js';

/** A step's state in the picture: its status, or Planned at review (nothing runs yet). */
export type NodeState = StepPhase | 'Planned';

export interface GraphNode {
  id: string;
  instance: string;
  partLabel: string;
  wave: number;
  state: NodeState;
  /** The state in words, always shown beside the colour. */
  stateLabel: string;
  /** Why it is not Ready: what it waits for, or the controller's message. */
  reason?: string;
  x: number;
  y: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  outputs: string[];
  /** The outputs carried, or "after" for an edge that carries none. */
  label: string;
  /** Whether the step waited for is Ready (at review: false). */
  satisfied: boolean;
  path: string;
  labelX: number;
  labelY: number;
}

export interface GraphColumn {
  wave: number;
  title: string;
  x: number;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  columns: GraphColumn[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 74;
const COLUMN_GAP = 150;
const ROW_GAP = 34;
const TOP = 40;
const MARGIN = 12;

export const STATE_LABEL: Record<NodeState, string> = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Failed: 'Failed',
  Pending: 'Pending',
  Deleting: 'Deleting',
  Planned: 'Planned',
};

/** A glyph beside the words, so that no state is told by colour alone. */
export const STATE_ICON: Record<NodeState, string> = {
  Ready: '✓',
  Progressing: '⟳',
  Failed: '✕',
  Pending: '…',
  Deleting: '⌫',
  Planned: '○',
};

/** Why a step is where it is: waiting for outputs of steps not Ready yet, or its own message. */
function reasonOf(status: StepStatus | undefined, incoming: GraphEdge[]): string | undefined {
  if (!status || status.phase === 'Ready') return undefined;
  if (status.phase === 'Pending' && status.reason === 'Waiting') {
    const outputs = incoming.filter((e) => !e.satisfied).flatMap((e) => e.outputs);
    if (outputs.length > 0) return `waiting for ${outputs.join(', ')}`;
  }
  return status.message || status.reason || undefined;
}

export function planGraph(args: {
  plan: Plan;
  edges: readonly PlanEdge[];
  steps?: readonly StepStatus[];
}): GraphLayout {
  const { plan } = args;
  const statusOf = new Map((args.steps ?? []).map((s) => [`${s.instance}/${s.part}`, s]));
  const waves = [...plan.waves].sort((a, b) => a.number - b.number);
  const columns: GraphColumn[] = waves.map((wave, i) => ({
    wave: wave.number,
    title: `Wave ${wave.number} · ${wave.part === 'infra' ? 'infrastructure' : 'applications'}`,
    x: MARGIN + i * (NODE_WIDTH + COLUMN_GAP),
  }));
  const position = new Map<string, { x: number; y: number }>();
  waves.forEach((wave, i) =>
    wave.steps.forEach((id, row) =>
      position.set(id, { x: columns[i]!.x, y: TOP + row * (NODE_HEIGHT + ROW_GAP) }),
    ),
  );
  const edges: GraphEdge[] = args.edges.flatMap((edge) => {
    const from = position.get(edge.from);
    const to = position.get(edge.to);
    if (!from || !to) return [];
    const x1 = from.x + NODE_WIDTH;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_HEIGHT / 2;
    const bend = Math.max(40, (x2 - x1) / 2);
    return [
      {
        from: edge.from,
        to: edge.to,
        outputs: edge.outputs,
        label: edge.outputs.length > 0 ? edge.outputs.join(', ') : 'after',
        satisfied: statusOf.get(edge.from)?.phase === 'Ready',
        path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
        // The label sits just past the source, where edges leaving one node have not crossed yet.
        labelX: x1 + 8,
        labelY: y1 + (y2 - y1) * 0.15 - 6,
      },
    ];
  });
  const nodes: GraphNode[] = plan.steps.flatMap((step) => {
    const at = position.get(step.id);
    if (!at) return [];
    const status = statusOf.get(step.id);
    const state: NodeState = args.steps ? (status?.phase ?? 'Pending') : 'Planned';
    const reason = reasonOf(
      status,
      edges.filter((e) => e.to === step.id),
    );
    return [
      {
        id: step.id,
        instance: step.instance,
        partLabel: step.part === 'infra' ? 'infrastructure' : 'application',
        wave: step.wave,
        state,
        stateLabel: STATE_LABEL[state],
        ...(reason ? { reason } : {}),
        ...at,
      },
    ];
  });
  const rows = Math.max(1, ...waves.map((w) => w.steps.length));
  return {
    nodes,
    edges,
    columns,
    width:
      MARGIN * 2 + Math.max(1, columns.length) * NODE_WIDTH + Math.max(0, columns.length - 1) * COLUMN_GAP,
    height: TOP + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP + MARGIN,
  };
}

/** Text cut to `max` characters with an ellipsis (the full text goes in a tooltip and the list). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
