import type { Key, ReactNode } from 'react';

// The console's one table: a scrollable, keyboard-reachable region (a wide table scrolls inside
// it on a phone instead of the page), a caption for screen readers, column headers, and a row
// header per row so each cell is read with the row it belongs to.

export interface Column<T> {
  header: ReactNode;
  /** The header is read by screen readers only (a column of buttons, a bar). */
  headerHidden?: boolean;
  cell: (row: T) => ReactNode;
  /** The cell that names its row (one per table): rendered as a row header. */
  rowHeader?: boolean;
  /** On the header and the cells (`num` right-aligns both). */
  className?: string;
  /** On the cells only (`mono`, `nowrap`). */
  cellClassName?: string;
}

export function DataTable<T>({
  label,
  caption,
  columns,
  rows,
  rowKey,
  compact = false,
  className,
}: {
  /** Names the scrollable region: "<label> (table)". */
  label: string;
  /** What the rows are and how they are ordered, for screen readers. */
  caption: string;
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  rowKey: (row: T) => Key;
  compact?: boolean;
  className?: string;
}) {
  const classes = ['data-table', compact ? 'data-table--compact' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <div className="table-scroll" role="region" aria-label={`${label} (table)`} tabIndex={0}>
      <table className={classes}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <th key={i} scope="col" className={column.className}>
                {column.headerHidden ? <span className="visually-hidden">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column, i) => {
                const className = [column.className, column.cellClassName].filter(Boolean).join(' ') || undefined;
                return column.rowHeader ? (
                  <th key={i} scope="row" className={className}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={i} className={className}>
                    {column.cell(row)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
