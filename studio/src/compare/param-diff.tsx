import { Fragment } from "preact";
import type { ComparedRun } from "./compared-run.ts";
import { requestDiff } from "./request-diff.ts";

/** A field's name that may wrap after its dots and underscores only (`model_version.digest`). */
function breakable(field: string) {
  return field.split(/(?<=[._])/).map((part, index) => (
    <Fragment key={part}>
      {index > 0 ? <wbr /> : null}
      {part}
    </Fragment>
  ));
}

/** The runs' recorded requests side by side, field by field, the fields that differ marked. */
export function ParamDiff(props: { runs: readonly ComparedRun[] }) {
  const rows = requestDiff(props.runs.map((run) => run.request));
  const differing = rows.filter((row) => row.differs).length;
  return (
    <section class="param-diff" aria-label="Parameters">
      <h3>Parameters</h3>
      <p>
        {differing === 0 ? "The requests are the same." : `${differing} of ${rows.length} fields differ.`}
      </p>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              {props.runs.map((run, index) => (
                <th key={index} scope="col">
                  {run.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field} class={row.differs ? "differs" : undefined}>
                <th scope="row">
                  {breakable(row.field)}
                  {row.differs ? <span class="badge"> differs</span> : null}
                </th>
                {row.values.map((value, index) => (
                  <td key={index}>{value}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
