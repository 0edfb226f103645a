"use client";
// SVG topology of one cluster: members on a circle, one edge per member pair (the mesh of
// tunnels), each edge coloured from the latest probes of both ends.
import Link from "next/link";
import { useT } from "../i18n";
import { circleLayout, type LinkState, linkState, type Point, type ProbeReport } from "../lib/layout";

export interface TopologyNode {
  id: string;
  name: string;
  address: string;
  online: boolean;
  probes: ProbeReport[] | null;
}

const WIDTH = 640;
const HEIGHT = 400;
const NODE_RADIUS = 22;
/** Room for a host name and address under a node, in viewBox units. */
const LABEL_HALF_WIDTH = 80;
const LABEL_BELOW = NODE_RADIUS + 40;

/**
 * Returns a viewBox that fits the nodes and their labels tightly, so that two hosts
 * stacked on a narrow screen are drawn as large as eight on a circle.
 */
function viewBox(points: Point[]): string {
  const xs = points.map((point) => point.x);
  const ys = points.map((point) => point.y);
  const left = Math.min(...xs) - LABEL_HALF_WIDTH;
  const top = Math.min(...ys) - NODE_RADIUS - 8;
  const width = Math.max(...xs) - Math.min(...xs) + 2 * LABEL_HALF_WIDTH;
  const height = Math.max(...ys) - Math.min(...ys) + NODE_RADIUS + 8 + LABEL_BELOW;
  return `${left} ${top} ${width} ${height}`;
}

const STATE_CLASS: Record<LinkState, string> = {
  ok: "edge-ok",
  failing: "edge-failing",
  unknown: "edge-unknown",
};

export function TopologyGraph({ clusterId, nodes }: { clusterId: string; nodes: TopologyNode[] }) {
  const t = useT();
  const sorted = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  const points = circleLayout(sorted.length, WIDTH / 2, HEIGHT / 2, HEIGHT / 2 - 60);
  const stateLabel: Record<LinkState, string> = {
    ok: t("cluster.legendOk"),
    failing: t("cluster.legendFailing"),
    unknown: t("cluster.legendUnknown"),
  };

  const edges: { key: string; from: number; to: number; state: LinkState }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      edges.push({
        key: `${sorted[i]!.id}:${sorted[j]!.id}`,
        from: i,
        to: j,
        state: linkState(clusterId, sorted[i]!, sorted[j]!),
      });
    }
  }

  return (
    <figure className="topology">
      <svg viewBox={viewBox(points)} role="img" aria-label={t("cluster.topology")}>
        {edges.map((edge) => {
          const from = points[edge.from]!;
          const to = points[edge.to]!;
          const title = t("cluster.linkTitle", {
            from: sorted[edge.from]!.name,
            to: sorted[edge.to]!.name,
            state: stateLabel[edge.state],
          });
          return (
            <line
              key={edge.key}
              x1={from.x}
              y1={from.y}
              x2={to.x}
              y2={to.y}
              className={`edge ${STATE_CLASS[edge.state]}`}
              data-state={edge.state}
              data-testid={`edge-${sorted[edge.from]!.name}-${sorted[edge.to]!.name}`}
            >
              <title>{title}</title>
            </line>
          );
        })}
        {sorted.map((node, index) => {
          const point = points[index]!;
          return (
            <Link key={node.id} href={`/hosts/${node.id}`} data-testid={`node-${node.name}`}>
              <circle
                cx={point.x}
                cy={point.y}
                r={NODE_RADIUS}
                className={node.online ? "node node-online" : "node node-offline"}
              />
              <text x={point.x} y={point.y + NODE_RADIUS + 16} textAnchor="middle" className="node-label">
                {node.name}
              </text>
              <text x={point.x} y={point.y + NODE_RADIUS + 30} textAnchor="middle" className="node-address">
                {node.address}
              </text>
            </Link>
          );
        })}
      </svg>
      <figcaption className="legend">
        <span className="legend-item">
          <i className="swatch edge-ok" /> {stateLabel.ok}
        </span>
        <span className="legend-item">
          <i className="swatch edge-failing" /> {stateLabel.failing}
        </span>
        <span className="legend-item">
          <i className="swatch edge-unknown" /> {stateLabel.unknown}
        </span>
      </figcaption>
    </figure>
  );
}
