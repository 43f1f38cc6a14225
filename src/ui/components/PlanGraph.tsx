/**
 * The plan as an SVG graph by wave, with a text list that says the same for screen readers and for
 * anyone who prefers words. Layout and words come from logic/plan-graph.ts.
 */
import { useId } from 'react';
import type { Plan, PlanEdge, StepStatus } from '../../api/contract.js';
import './plan-graph.css';
import { clip, NODE_HEIGHT, NODE_WIDTH, planGraph, STATE_ICON } from '../logic/plan-graph.js';

export function PlanGraph(props: {
  plan: Plan;
  edges: readonly PlanEdge[];
  /** The steps' status (an environment's page); without it every step is Planned (review). */
  steps?: readonly StepStatus[];
  title: string;
}) {
  const id = useId();
  const layout = planGraph({
    plan: props.plan,
    edges: props.edges,
    ...(props.steps ? { steps: props.steps } : {}),
  });
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  const description = `${layout.nodes.length} steps in ${layout.columns.length} waves. ${layout.nodes
    .map((n) => `${n.id}: ${n.stateLabel}${n.reason ? ` (${n.reason})` : ''}`)
    .join('; ')}.`;
  return (
    <figure className="plan-graph">
      <div className="plan-graph-scroll" tabIndex={0} aria-label={`${props.title} (scrolls sideways)`}>
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          data-testid="plan-graph"
        >
          <title id={`${id}-title`}>{props.title}</title>
          <desc id={`${id}-desc`}>{description}</desc>
          <defs>
            <marker
              id={`${id}-arrow`}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" className="graph-arrow" />
            </marker>
          </defs>
          {layout.columns.map((c) => (
            <text key={c.wave} x={c.x} y={20} className="graph-column-title">
              {c.title}
            </text>
          ))}
          {layout.edges.map((e) => (
            <g
              key={`${e.from}->${e.to}`}
              className={`graph-edge${e.satisfied ? ' graph-edge-satisfied' : ''}`}
              data-from={e.from}
              data-to={e.to}
            >
              <path d={e.path} markerEnd={`url(#${id}-arrow)`} />
              <text x={e.labelX} y={e.labelY} className="graph-edge-label">
                <title>{`${e.to} reads ${e.label} from ${e.from}`}</title>
                {clip(e.label, 20)}
              </text>
            </g>
          ))}
          {layout.nodes.map((n) => (
            <g
              key={n.id}
              className={`graph-node graph-node-${n.state.toLowerCase()}`}
              transform={`translate(${n.x} ${n.y})`}
              data-step={n.id}
              data-state={n.state}
            >
              <title>{`${n.id}: ${n.stateLabel}${n.reason ? ` — ${n.reason}` : ''}`}</title>
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={8} />
              <text x={12} y={22} className="graph-node-name">
                {clip(n.instance, 18)} <tspan className="graph-node-part">{n.partLabel}</tspan>
              </text>
              <text x={12} y={44} className="graph-node-state">
                {STATE_ICON[n.state]} {n.stateLabel}
              </text>
              {n.reason && (
                <text x={12} y={62} className="graph-node-reason">
                  {clip(n.reason, 30)}
                </text>
              )}
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <ol className="plan-graph-list" aria-label={`${props.title}, as a list`}>
          {layout.nodes.map((n) => {
            const incoming = layout.edges.filter((e) => e.to === n.id);
            return (
              <li key={n.id} data-step={n.id}>
                <span className="mono">{n.id}</span> (wave {n.wave}){' '}
                <span className={`graph-state-chip graph-node-${n.state.toLowerCase()}`}>
                  {STATE_ICON[n.state]} {n.stateLabel}
                </span>
                {n.reason && <span className="graph-list-reason"> — {n.reason}</span>}
                {incoming.length > 0 && (
                  <span className="muted">
                    {' '}
                    · after{' '}
                    {incoming
                      .map(
                        (e) =>
                          `${byId.get(e.from)?.id ?? e.from}${e.outputs.length > 0 ? ` (reads ${e.outputs.join(', ')})` : ''}`,
                      )
                      .join('; ')}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      </figcaption>
    </figure>
  );
}
