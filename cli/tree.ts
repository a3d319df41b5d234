// Drawing a forest one node a line with `├── `, `│   ` and `└── ` prefixes:
// shared by lsuserns, lspidns and lsallns.

/** One line of a drawn forest. */
export interface TreeRow<T> {
  node: T
  /** 0 for a root. */
  depth: number
  /** The prefix of the node's own line: its ancestors' continuation, then its branch. */
  prefix: string
  /** The prefix for lines that go under the node before its children (lsuserns -d). */
  under: string
  /** Whether the node has children in the drawing. */
  hasChildren: boolean
}

/**
 * Walks a forest depth first: each root, then its children in the order
 * `children` gives them, calling `visit` with each node's line prefix, the
 * prefix for lines under it (lsuserns -d) and whether it has children in the
 * drawing. A node is drawn once; a child met again (the model changed under
 * us) is left out rather than looping. No object a row: lsuserns and lspidns
 * draw thousands of lines once, mostly before the engine has compiled this,
 * and each object is more for its garbage collector to copy.
 */
export function walkTree<T>(
  roots: readonly T[],
  children: (node: T) => readonly T[],
  visit: (node: T, prefix: string, under: string, hasChildren: boolean, depth: number) => void,
): void {
  const drawn = new Set<T>()
  const walk = (node: T, lead: string, branch: string, depth: number): void => {
    drawn.add(node)
    const under = lead + (branch === '' ? '' : branch === '├── ' ? '│   ' : '    ')
    const kids = children(node)
    let last = kids.length - 1
    while (last >= 0 && drawn.has(kids[last]!)) last--
    visit(node, lead + branch, under, last >= 0, depth)
    for (let i = 0; i <= last; i++) {
      if (!drawn.has(kids[i]!)) walk(kids[i]!, under, i === last ? '└── ' : '├── ', depth + 1)
    }
  }
  for (let i = 0; i < roots.length; i++) if (!drawn.has(roots[i]!)) walk(roots[i]!, '', '', 0)
}

/** The rows of a forest, as walkTree visits them. */
export function treeRows<T>(roots: readonly T[], children: (node: T) => readonly T[]): TreeRow<T>[] {
  const rows: TreeRow<T>[] = []
  walkTree(roots, children, (node, prefix, under, hasChildren, depth) => rows.push({ node, depth, prefix, under, hasChildren }))
  return rows
}
