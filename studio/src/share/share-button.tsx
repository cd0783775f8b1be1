import "./share.css";
import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import { type CreatedShare, DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS, type ShareLayout } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";

const EXPIRY_DAYS = [1, DEFAULT_SHARE_DAYS, 30, MAX_SHARE_DAYS] as const;

/**
 * Share what a page shows (a run, runs compared, a grid) through a read-only link that works without
 * signing in: the person picks how long it lasts, gets the link to copy, and can revoke it later.
 *
 * @example
 * <ShareButton client={client} layout={{ kind: "run", run: run.id }} />
 */
export function ShareButton(props: { client: Sdgate; layout: ShareLayout; title?: string }) {
  const [days, setDays] = useState<number>(DEFAULT_SHARE_DAYS);
  const [share, setShare] = useState<CreatedShare | null>(null);
  const [state, setState] = useState<string | null>(null);

  const create = () => {
    setState("Making the link…");
    props.client.shares
      .create({
        layout: props.layout,
        expires_in_days: days,
        ...(props.title === undefined ? {} : { title: props.title }),
      })
      .then(
        (created) => {
          setShare(created);
          setState(null);
        },
        (error: unknown) => setState(isSdgateApiError(error) ? error.message : String(error)),
      );
  };
  const copy = () => {
    if (share === null) return;
    navigator.clipboard.writeText(share.url).then(
      () => setState("Link copied."),
      () => setState("Copying was refused: select the link and copy it."),
    );
  };

  return (
    <section class="share-button" aria-label="Share">
      <h3>Share</h3>
      <div class="row">
        <label>
          Link expires in
          <select value={days} onChange={(event) => setDays(Number(event.currentTarget.value))}>
            {EXPIRY_DAYS.map((choice) => (
              <option key={choice} value={choice}>
                {choice === 1 ? "1 day" : `${choice} days`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="primary" onClick={create}>
          Create share link
        </button>
      </div>
      {share !== null ? (
        <div class="row share-link">
          <label>
            Share link (read-only, no sign-in needed)
            <input type="text" readOnly value={share.url} onFocus={(event) => event.currentTarget.select()} />
          </label>
          <button type="button" onClick={copy}>
            Copy link
          </button>
          <p>
            Expires {new Date(share.expires_at).toLocaleString()} ·{" "}
            <a href={hrefOf("shares")}>Manage shares</a>
          </p>
        </div>
      ) : null}
      <p role="status">{state ?? ""}</p>
    </section>
  );
}
