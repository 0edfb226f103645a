// Circle layout of the topology graph: hosts evenly spaced on a circle, the first at the
// top, in the order given (callers sort by name so positions stay stable between polls).

export interface Point {
  x: number;
  y: number;
}

/** Returns one point per node on a circle of `radius` around (`cx`, `cy`). */
export function circleLayout(count: number, cx: number, cy: number, radius: number): Point[] {
  if (count === 1) return [{ x: cx, y: cy }];
  return Array.from({ length: count }, (_, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / count;
    return { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) };
  });
}

export type LinkState = "ok" | "failing" | "unknown";

export interface ProbeReport {
  peerHostId: string;
  clusterId: string;
  ok: boolean;
}

/**
 * Returns the state of the tunnel between two hosts from both ends' latest probes: failing
 * when either end reports a failure, ok when at least one end reports success and none a
 * failure, unknown when neither end has reported.
 */
export function linkState(
  clusterId: string,
  a: { id: string; probes: ProbeReport[] | null },
  b: { id: string; probes: ProbeReport[] | null },
): LinkState {
  const results = [
    ...(a.probes ?? []).filter((probe) => probe.clusterId === clusterId && probe.peerHostId === b.id),
    ...(b.probes ?? []).filter((probe) => probe.clusterId === clusterId && probe.peerHostId === a.id),
  ];
  if (results.length === 0) return "unknown";
  return results.every((probe) => probe.ok) ? "ok" : "failing";
}

/** Side of a node, away from the circle's centre, where its name and address go. */
export type LabelSide = "above" | "below" | "left" | "right";

/**
 * Returns the side of a node that faces away from the centre. Edges run between nodes on
 * the circle, through its inside, so a label on the outer side stays clear of them. A node
 * in the centre (the only node) gets its label below.
 */
export function labelSide(point: Point, centre: Point): LabelSide {
  const dx = point.x - centre.x;
  const dy = point.y - centre.y;
  if (Math.abs(dx) < 1e-6 && Math.abs(dy) < 1e-6) return "below";
  if (Math.abs(dy) > Math.abs(dx)) return dy < 0 ? "above" : "below";
  return dx < 0 ? "left" : "right";
}
