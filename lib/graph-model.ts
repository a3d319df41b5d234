// The graph that buildGraph() makes of a discover() model: plain data, which
// the grouping, the DOT text and the page all read.
import type { DiscoveredNamespace } from './model.js'

/**
 * Why a namespace lives: a process is in it, or only an fd or a bind mount
 * keeps it, or no process has entered it yet ('pending'), or only a child or
 * owned namespace leads to it ('hidden').
 */
export type GraphNodeKind = 'process' | 'fd' | 'bind-mount' | 'pending' | 'hidden'

export interface GraphNode {
  /** `user_4026531837`: the DOT node name, and the id of its SVG group. */
  id: string
  ns: DiscoveredNamespace
  kind: GraphNodeKind
  /** The lines of its label. */
  label: string[]
  /** What keeps it, in the tools' words: its process, or `no process (...)`. */
  holder: string
  /** The uid that owns it (a PID namespace: its user namespace's): `root (0)`, or 'out of view'. */
  owner: string
  /** With `details`: the namespaces of other types that a user namespace owns. */
  owns: DiscoveredNamespace[]
}

export interface GraphEdge {
  /** 'parent': `from` is the parent of `to`; 'owner': `from` is a PID namespace, `to` the user namespace that owns it. */
  kind: 'parent' | 'owner'
  from: string
  to: string
}

export interface NamespaceGraph {
  /** Every user and PID namespace of the model, also those a group folds. */
  nodes: GraphNode[]
  edges: GraphEdge[]
  /** The runs of alike siblings folded into one node each; none with `expand`. */
  groups: GraphGroup[]
}

/**
 * Sibling namespaces folded into one node `×N`: each member keeps its own
 * subtree (its descendants of the same type) with it.
 */
export interface GraphGroup {
  /** `group_pid_4026532001` (its first member's inode): the DOT node name, and the id of its SVG group. */
  id: string
  type: string
  /** The node id of the members' common parent; null where they have none in the graph. */
  parent: string | null
  /** The node ids of the folded namespaces, in the model's order. */
  members: string[]
  /** The lines of its label: how many, and what they share. */
  label: string[]
}
