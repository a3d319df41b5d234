// What the graph page carries, for its search, its details on hover and
// the views it draws: written by page.ts, read by the page's own script.
import type { ViewData } from './view.js'

/** One namespace of the page, under its inode. */
export interface PageNode {
  id: string
  type: string
  ino: number
  kind: string
  /** What keeps it, in the tools' words. */
  holder: string
  pid: number | null
  process: string | null
  processes: number
  owner: string
  parent: number | null
  via: string[]
  fdHolders: string[]
  bindMounts: string[]
  owns: string[]
  /** Its containers, as the tools name them: `docker:web-1`. */
  containers: string[]
  /**
   * What the search box finds it by: `type:[inode]`, the inode, its pids,
   * its process's name, its containers' names, ids and pods. A number
   * matches a whole entry, words a part of one.
   */
  search: string[]
}

export interface PageData {
  nodes: Record<string, PageNode>
  /** Where the graph has groups: what the page draws its views from. */
  view: ViewData | null
  /** Each group's label lines, by group id, for its details on hover. */
  groups: Record<string, string[]>
}
