import type { UsageGroup, UsageReport, UsageRow } from "@sdgate/shared";
import { runsHref } from "./drill.ts";
import { seconds, whole } from "./usage-tiles.tsx";
import { GROUP_TITLES, groupName } from "./usage-view.ts";

type Totals = Omit<UsageRow, "period">;

/** The report's rows summed per group over the whole range, biggest spender first. */
function totalsByGroup(report: UsageReport): Totals[] {
  const byGroup = new Map<string, Totals>();
  for (const { period: _, ...row } of report.data) {
    const id = row.group ?? "∅";
    const sum = byGroup.get(id);
    if (sum === undefined) {
      byGroup.set(id, { ...row });
      continue;
    }
    for (const name of ["requests", "failed", "images", "credits", "saved_credits"] as const)
      sum[name] += row[name];
    if (sum.gpu_seconds !== null && row.gpu_seconds !== null) sum.gpu_seconds += row.gpu_seconds;
  }
  return [...byGroup.values()].sort((a, b) => b.credits - a.credits || b.requests - a.requests);
}

/** Each group's totals, with a link to its runs where the history can show them. */
export function UsageTable(props: { report: UsageReport; groupBy: UsageGroup }) {
  const { report, groupBy } = props;
  const full = report.view === "full";
  const rows = totalsByGroup(report);
  return (
    <div class="usage-table">
      <table>
        <caption>By {GROUP_TITLES[groupBy].toLowerCase()}, over the whole period</caption>
        <thead>
          <tr>
            <th scope="col">{GROUP_TITLES[groupBy]}</th>
            <th scope="col">Requests</th>
            <th scope="col">Images</th>
            <th scope="col">Credits</th>
            <th scope="col">Saved credits</th>
            {full ? <th scope="col">GPU-seconds</th> : null}
            {full ? <th scope="col">Failed</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={full ? 7 : 5}>No generations in this period.</td>
            </tr>
          ) : (
            rows.map((row) => {
              const href = runsHref(groupBy, row.group, report.view);
              const name = groupName(row, groupBy);
              return (
                <tr key={row.group ?? "∅"}>
                  <th scope="row">
                    {href === null ? (
                      name
                    ) : (
                      <a href={href} aria-label={`Runs of ${name}`}>
                        {name}
                      </a>
                    )}
                  </th>
                  <td>{whole(row.requests)}</td>
                  <td>{whole(row.images)}</td>
                  <td>{whole(row.credits)}</td>
                  <td>{whole(row.saved_credits)}</td>
                  {full ? <td>{seconds(row.gpu_seconds ?? 0)}</td> : null}
                  {full ? <td>{whole(row.failed)}</td> : null}
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
