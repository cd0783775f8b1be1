import type { ComponentChildren } from "preact";

/**
 * A table with its column headings, in its own scrolling box, so a narrow screen scrolls the table
 * and never the page. The box is focusable and named, so a keyboard can scroll it and a screen reader
 * says what it holds.
 *
 * @example
 * <TableBox label="Keys" columns={["Key", "Status"]}>{keys.map((key) => <tr>…</tr>)}</TableBox>
 */
export function TableBox(props: { label: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (WCAG 2.1.1).
    <section class="table-box" aria-label={props.label} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </section>
  );
}
