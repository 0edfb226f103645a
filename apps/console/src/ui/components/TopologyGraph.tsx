"use client";
// SVG topology of one cluster: members on a circle, one edge per member pair (the mesh of
// tunnels), each edge coloured from the latest probes of both ends.
import Link from "next/link";
import { useT } from "../i18n";
import {
  circleLayout,
  type LabelSide,
  type LinkState,
  labelSide,
  linkState,
  type Point,
  type ProbeReport,
} from "../lib/layout";

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
/** Gap between a node's circle and its label, in viewBox units. */
const LABEL_GAP = 8;
/** Height of the two label lines (name, address). */
const LABEL_HEIGHT = 32;
/** Margin around the drawing. */
const PADDING = 8;

/** Position of a node's two label lines, on the side facing away from the centre. */
interface Label {
  x: number;
  nameY: number;
  addressY: number;
  anchor: "start" | "middle" | "end";
  side: LabelSide;
}

function placeLabel(point: Point, centre: Point): Label {
  const side = labelSide(point, centre);
  switch (side) {
    case "above":
      return {
        side,
        x: point.x,
        nameY: point.y - NODE_RADIUS - LABEL_GAP - 16,
        addressY: point.y - NODE_RADIUS - LABEL_GAP - 2,
        anchor: "middle",
      };
    case "below":
      return {
        side,
        x: point.x,
        nameY: point.y + NODE_RADIUS + LABEL_GAP + 10,
        addressY: point.y + NODE_RADIUS + LABEL_GAP + 24,
        anchor: "middle",
      };
    case "left":
      return {
        side,
        x: point.x - NODE_RADIUS - LABEL_GAP,
        nameY: point.y - 2,
        addressY: point.y + 13,
        anchor: "end",
      };
    case "right":
      return {
        side,
        x: point.x + NODE_RADIUS + LABEL_GAP,
        nameY: point.y - 2,
        addressY: point.y + 13,
        anchor: "start",
      };
  }
}

/** Estimates a label's width from its longest line (14 px bold name, 12 px address). */
function labelWidth(node: TopologyNode): number {
  return Math.max(node.name.length * 8.5, node.address.length * 7.2);
}

/**
 * Returns a viewBox that fits the nodes and their labels tightly, so that two hosts
 * stacked on a narrow screen are drawn as large as eight on a circle.
 */
function viewBox(points: Point[], labels: Label[], nodes: TopologyNode[]): string {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;

  points.forEach((point, index) => {
    const label = labels[index]!;
    const width = labelWidth(nodes[index]!);
    left = Math.min(left, point.x - NODE_RADIUS);
    right = Math.max(right, point.x + NODE_RADIUS);
    top = Math.min(top, point.y - NODE_RADIUS);
    bottom = Math.max(bottom, point.y + NODE_RADIUS);

    if (label.side === "above") top = Math.min(top, point.y - NODE_RADIUS - LABEL_GAP - LABEL_HEIGHT);
    if (label.side === "below") bottom = Math.max(bottom, point.y + NODE_RADIUS + LABEL_GAP + LABEL_HEIGHT);
    if (label.side === "left") left = Math.min(left, label.x - width);
    if (label.side === "right") right = Math.max(right, label.x + width);
    if (label.anchor === "middle") {
      left = Math.min(left, point.x - width / 2);
      right = Math.max(right, point.x + width / 2);
    }
  });

  return `${left - PADDING} ${top - PADDING} ${right - left + 2 * PADDING} ${bottom - top + 2 * PADDING}`;
}

const STATE_CLASS: Record<LinkState, string> = {
  ok: "edge-ok",
  failing: "edge-failing",
  unknown: "edge-unknown",
};

export function TopologyGraph({ clusterId, nodes }: { clusterId: string; nodes: TopologyNode[] }) {
  const t = useT();
  const sorted = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  const centre = { x: WIDTH / 2, y: HEIGHT / 2 };
  const points = circleLayout(sorted.length, centre.x, centre.y, HEIGHT / 2 - 60);
  const labels = points.map((point) => placeLabel(point, centre));
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
      <svg viewBox={viewBox(points, labels, sorted)} role="img" aria-label={t("cluster.topology")}>
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
          const label = labels[index]!;
          return (
            <Link key={node.id} href={`/hosts/${node.id}`} data-testid={`node-${node.name}`}>
              <circle
                cx={point.x}
                cy={point.y}
                r={NODE_RADIUS}
                className={node.online ? "node node-online" : "node node-offline"}
              />
              <text x={label.x} y={label.nameY} textAnchor={label.anchor} className="node-label">
                {node.name}
              </text>
              <text x={label.x} y={label.addressY} textAnchor={label.anchor} className="node-address">
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
