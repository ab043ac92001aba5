// The settings every connection that reads or writes hub.db applies: the
// hub's connection (sqlite.ts) and the timeline writer thread's
// (sqlite-writer-worker.ts) — one list, so the two never differ.
// (journal_mode = WAL belongs to the database file: the hub's connection sets it once.)

/** `db.pragma(p)` each, in order, right after opening. */
export const SQLITE_CONNECTION_PRAGMAS: readonly string[] = [
  // Durable before acknowledged: a commit is on disk before the API answers.
  'synchronous = FULL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
  // Reads of hub.db through a memory map, not a pread each. The two connections write in turns, and a
  // commit by one empties the other's page cache: what it then reads again costs a page fault of a page
  // the OS holds anyway instead of a system call and a copy (a quarter fewer preads with two connections
  // committing in turns, docs/performance.md). Writes still go through the WAL and fsync; the mapped pages
  // are the OS's file cache (they show in RSS as file pages, not heap). 256 MiB of address space.
  'mmap_size = 268435456',
];
