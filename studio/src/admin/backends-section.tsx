import type { FleetBackend } from "@sdgate/shared";
import { LoadState } from "./action-error.tsx";
import { backendHealth, queueOf, whenOf } from "./format.ts";
import type { SectionProps } from "./section-props.ts";
import { TableBox } from "./table-box.tsx";
import { useLoaded } from "./use-loaded.ts";

/** One backend's models and adapters: each with the start of the files digest it holds. */
function ModelsHeld(props: { backend: FleetBackend }) {
  const versions = props.backend.versions;
  if (versions === null) return <>Not read yet</>;
  const entries: [string, string][] = [
    ...Object.entries(versions),
    ...(props.backend.adapters ?? []).map((adapter): [string, string] => [
      `${adapter.kind} ${adapter.name}`,
      adapter.digest,
    ]),
  ];
  if (entries.length === 0) return <>None</>;
  return (
    <ul class="plain">
      {entries.map(([what, digest]) => (
        <li key={what}>
          {what} <code title={digest}>{digest.slice(0, 12)}</code>
        </li>
      ))}
    </ul>
  );
}

/** The fleet (`GET /admin/backends`): each backend's health, where it runs, its models and its queue. */
export function BackendsSection(props: SectionProps) {
  const [fleet, reload] = useLoaded(() => props.studio.session.backends.list(), []);
  if (fleet.state !== "ok") return <LoadState loaded={fleet} />;
  const { backends } = fleet.data;
  const healthy = backends.filter((backend) => backendHealth(backend).healthy).length;
  return (
    <>
      <div class="row">
        <p role="status">
          {healthy} of {backends.length} backends healthy · fleet <code>{fleet.data.fleet}</code> · engine{" "}
          <code>{fleet.data.engine_version}</code> · next probe {whenOf(fleet.data.next_probe_at)}
        </p>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <TableBox
        label="Fleet"
        columns={["Backend", "Health", "Region · cloud", "Models and versions", "Queue", "Last probe"]}
      >
        {backends.map((backend) => {
          const health = backendHealth(backend);
          return (
            <tr key={backend.name}>
              <th scope="row">
                {backend.name}
                <div class="muted">
                  priority {backend.priority}, weight {backend.weight}
                </div>
              </th>
              <td>
                <span class={health.healthy ? "badge ok" : "badge bad"}>{health.label}</span>
              </td>
              <td>
                {backend.region} · {backend.provider}
              </td>
              <td>
                <ModelsHeld backend={backend} />
              </td>
              <td>{queueOf(backend)}</td>
              <td>
                {backend.last_probe === null
                  ? "Not probed yet"
                  : `${backend.last_probe.ok ? "passed" : "failed"} in ${Math.round(backend.last_probe.latency_ms)} ms, ${whenOf(backend.last_probe.at)}`}
              </td>
            </tr>
          );
        })}
      </TableBox>
    </>
  );
}
