// The count beside a paged list's filters: what the hub counted, or why it
// was not asked (a name prefix the hub would refuse), and a discreet
// "refreshing" while the rows shown are read again after a feed restart.
export function ListCount({
  label,
  total,
  validPrefix,
  noun,
  refreshing = false,
}: {
  /** The status region's accessible name ("Pod count"). */
  label: string;
  total: number | undefined;
  validPrefix: boolean;
  /** Singular; the plural adds "s". */
  noun: string;
  /** The rows shown are being read again (they stay until the answer replaces them). */
  refreshing?: boolean;
}) {
  return (
    <>
      {refreshing && <span className="hint refreshing">refreshing…</span>}
      <span className="hint" role="status" aria-label={label}>
        {!validPrefix
          ? 'Names hold only a-z, 0-9, "." and "-"'
          : total === undefined
            ? 'Loading…'
            : `${total.toLocaleString('en-US')} ${total === 1 ? noun : `${noun}s`}`}
      </span>
    </>
  );
}
