import type { Fleet } from "@sdgate/shared";
import { actorName, shortDigest, when } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";
import { servedBy, versionState } from "./registry-view.ts";

/** A model's immutable versions: digest, where each stands, who registered it, and where it is served. */
export function VersionsSection(props: { state: ModelState; fleet: Fleet | null }) {
  const { model, versions, aliases, promotions } = props.state;
  const { fleet } = props;
  return (
    <section class="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {versions.length === 0 ? <p>No version is registered yet.</p> : null}
      <div class="table">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Digest</th>
              <th scope="col">State</th>
              <th scope="col">Registered</th>
              <th scope="col">Licence</th>
              {fleet === null ? null : <th scope="col">Served by</th>}
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => {
              const backends = fleet === null ? null : servedBy(fleet, model.id, version.digest);
              return (
                <tr key={version.version}>
                  <th scope="row">{version.version}</th>
                  <td>
                    <code title={version.digest}>{shortDigest(version.digest)}</code>
                  </td>
                  <td>{versionState(version.version, aliases, promotions)}</td>
                  <td>
                    {actorName(version.registered_by)}, {when(version.registered_at)}
                  </td>
                  <td>{version.licence.id}</td>
                  {fleet === null ? null : <td>{servingText(backends)}</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const servingText = (backends: string[] | null) =>
  backends === null ? "not reported yet" : backends.length === 0 ? "no backend" : backends.join(", ");
