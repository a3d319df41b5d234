// What the graph page carries of each namespace, for its search and its
// details on hover: written by page.ts, read by the page's own script.

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
  pids: number[]
  owner: string
  parent: number | null
  via: string[]
  fdHolders: string[]
  bindMounts: string[]
  owns: string[]
}

export type PageData = Record<string, PageNode>
