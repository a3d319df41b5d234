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
 * The rows of a forest, depth first: each root, then its children in the
 * order `children` gives them. A node is drawn once; a child met again (the
 * model changed under us) is left out rather than looping.
 */
export function treeRows<T>(roots: readonly T[], children: (node: T) => readonly T[]): TreeRow<T>[] {
  const rows: TreeRow<T>[] = []
  const drawn = new Set<T>()
  // Plain loops, few arrays: a tool draws its thousands of lines once, mostly
  // before the engine has compiled this, and each array is more for its
  // garbage collector to copy.
  const walk = (node: T, lead: string, branch: string, depth: number): void => {
    drawn.add(node)
    const under = lead + (branch === '' ? '' : branch === '├── ' ? '│   ' : '    ')
    const kids: T[] = []
    for (const kid of children(node)) if (!drawn.has(kid)) kids.push(kid)
    rows.push({ node, depth, prefix: lead + branch, under, hasChildren: kids.length > 0 })
    for (let i = 0; i < kids.length; i++) walk(kids[i]!, under, i === kids.length - 1 ? '└── ' : '├── ', depth + 1)
  }
  for (const root of roots) if (!drawn.has(root)) walk(root, '', '', 0)
  return rows
}
