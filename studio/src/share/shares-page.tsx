import "./share.css";
import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Share } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));

/** The team's share links: what each shows, until when, and Revoke, which closes a link at once. */
export function SharesPage(props: { client: Sdgate }) {
  const { client } = props;
  const [shares, setShares] = useState<Share[] | null>(null);
  const [state, setState] = useState<string | null>(null);
  useEffect(() => {
    client.shares.list().then(
      (list) => setShares(list.data),
      (error: unknown) => setState(message(error)),
    );
  }, [client]);

  const revoke = (share: Share) => {
    client.shares.revoke(share.id).then(
      (revoked) => {
        setShares((list) => list?.map((item) => (item.id === revoked.id ? revoked : item)) ?? null);
        setState(`Revoked ${share.kind} “${share.title}”: its link no longer opens.`);
      },
      (error: unknown) => setState(message(error)),
    );
  };

  return (
    <section class="card shares-page" aria-labelledby="shares-title">
      <h2 id="shares-title">Share links</h2>
      <p>
        Links to runs, comparisons and grids of your team that anyone holding them can open, read-only, until
        they expire or are revoked. A link is shown once, when it is made.
      </p>
      <p role="status">{state ?? ""}</p>
      {shares === null ? <p>Loading…</p> : null}
      {shares !== null && shares.length === 0 ? <p>Your team has shared nothing yet.</p> : null}
      {shares !== null && shares.length > 0 ? (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Shows</th>
                <th scope="col">Made</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shares.map((share) => (
                <tr key={share.id}>
                  <th scope="row">{share.title}</th>
                  <td>
                    {share.kind} of {share.run_ids.length} run{share.run_ids.length === 1 ? "" : "s"}
                  </td>
                  <td>{new Date(share.created_at).toLocaleDateString()}</td>
                  <td>{new Date(share.expires_at).toLocaleDateString()}</td>
                  <td>{share.status}</td>
                  <td>
                    {share.status === "active" ? (
                      <button
                        type="button"
                        aria-label={`Revoke ${share.kind} “${share.title}”`}
                        onClick={() => revoke(share)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
