// A table's first answer is still on its way: say so, so an empty table never
// reads as "nothing there" ("No events.") while it is only loading.
export function LoadingRow({ colSpan, what }: { colSpan: number; what: string }) {
  return (
    <tr>
      <td colSpan={colSpan} className="empty" role="status">
        Loading {what}…
      </td>
    </tr>
  );
}
