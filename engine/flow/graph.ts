// Graph checks over a flow's nodes: elements no entry point reaches, and cycles that a
// participant could run round forever without ever waiting.

export interface GraphNode {
  readonly id: string;
  readonly entry: boolean;
  readonly waits: boolean;
  /** Indices of the nodes this one's branches lead to. */
  readonly targets: readonly number[];
}

/**
 * The parts of the flow no entry point leads to, each as its first node and how many nodes come
 * after it: a node only another unreachable node leads to is unreachable because of it and is
 * counted under it, so one missing branch is one problem, not one per element behind it. A part
 * that is a loop with no way in starts at its first node in the flow. In the flow's order.
 */
export function unreachableParts(nodes: readonly GraphNode[]): Array<{ start: number; after: number }> {
  const cut = unreachable(nodes);
  const inCut = new Set(cut);
  const ledTo = new Set(cut.flatMap((i) => nodes[i]!.targets.filter((t) => t !== i)));
  const covered = new Set<number>();
  const parts: Array<{ start: number; after: number }> = [];
  for (const start of [...cut.filter((i) => !ledTo.has(i)), ...cut]) {
    if (covered.has(start)) continue;
    const before = covered.size;
    cover(nodes, start, inCut, covered);
    parts.push({ start, after: covered.size - before - 1 });
  }
  return parts.sort((a, b) => a.start - b.start);
}

/** Adds `from` and every node of `within` it leads to, not yet in `covered`, to `covered`. */
function cover(nodes: readonly GraphNode[], from: number, within: ReadonlySet<number>, covered: Set<number>): void {
  const stack = [from];
  while (stack.length) {
    const i = stack.pop()!;
    if (covered.has(i)) continue;
    covered.add(i);
    for (const t of nodes[i]!.targets) if (within.has(t) && !covered.has(t)) stack.push(t);
  }
}

/** Indices of non-entry nodes that no entry point leads to. */
function unreachable(nodes: readonly GraphNode[]): number[] {
  const seen = new Uint8Array(nodes.length);
  const stack: number[] = [];
  nodes.forEach((n, i) => n.entry && stack.push(i));
  while (stack.length) {
    const i = stack.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    for (const t of nodes[i]!.targets) if (!seen[t]) stack.push(t);
  }
  return nodes.flatMap((n, i) => (n.entry || seen[i] ? [] : [i]));
}

/**
 * Cycles made only of elements that never wait, as lists of node indices (Tarjan's
 * strongly connected components over the non-waiting nodes).
 */
export function cyclesWithoutWait(nodes: readonly GraphNode[]): number[][] {
  const index = new Int32Array(nodes.length).fill(-1);
  const low = new Int32Array(nodes.length);
  const onStack = new Uint8Array(nodes.length);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  const instant = (i: number): boolean => !nodes[i]!.waits && !nodes[i]!.entry;

  const visit = (v: number): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    for (const w of nodes[v]!.targets) {
      if (!instant(w)) continue;
      if (index[w] === -1) {
        visit(w);
        low[v] = Math.min(low[v]!, low[w]!);
      } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
    }
    if (low[v] !== index[v]) return;
    const component: number[] = [];
    let w: number;
    do {
      w = stack.pop()!;
      onStack[w] = 0;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || nodes[v]!.targets.includes(v)) cycles.push(component.reverse());
  };

  for (let i = 0; i < nodes.length; i++) if (instant(i) && index[i] === -1) visit(i);
  return cycles;
}
