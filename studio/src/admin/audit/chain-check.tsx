import type { ChainWalk, Sdgate } from "@sdgate/sdk";
import { useState } from "preact/hooks";
import { ActionError } from "../action-error.tsx";
import { whenOf } from "../format.ts";
import { useAction } from "../use-loaded.ts";

const REASONS: Readonly<Record<string, string>> = {
  gap: "a row is missing",
  prev_hash_mismatch: "the row does not point at the row before it",
  hash_mismatch: "the row's content does not match its hash (it was edited)",
  truncated: "rows are missing at the end of the chain",
  unattested_checkpoint: "the retention checkpoint is not attested by an audit.prune row",
};

/** What the walk found, in plain words: verified, or where and why it breaks. */
function Verdict(props: { walk: ChainWalk }) {
  const { walk } = props;
  const broken = walk.last.first_broken;
  const checked = `${walk.rowsChecked} ${walk.rowsChecked === 1 ? "row" : "rows"} checked in ${walk.pages} ${walk.pages === 1 ? "request" : "requests"}`;
  const since =
    walk.last.checkpoint === null
      ? "from its first row"
      : `from the retention checkpoint at row #${walk.last.checkpoint.seq} (pruned ${whenOf(walk.last.checkpoint.pruned_at)})`;
  if (walk.ok)
    return (
      <p class="verdict ok">
        <strong>Chain verified.</strong> {checked}, {since} to the head at row #{walk.last.head.seq}.
      </p>
    );
  return (
    <div class="verdict bad">
      <p>
        <strong>
          Chain broken{broken === null ? "" : ` at row #${broken.seq}`}
          {broken === null ? "." : `: ${REASONS[broken.reason] ?? broken.reason}.`}
        </strong>{" "}
        {checked}.
      </p>
      {broken === null ? null : (
        <p>
          {broken.message} (<code>{broken.reason}</code>)
        </p>
      )}
    </div>
  );
}

/** Verifies the audit chain (`GET /admin/audit/verify`, a page at a time) and says what it found. */
export function ChainCheck(props: { session: Sdgate }) {
  const [walk, setWalk] = useState<ChainWalk | null>(null);
  const verify = useAction(() => props.session.audit.verifyAll({ limit: 20_000 }), setWalk);
  return (
    <div class="card chain">
      <div class="row">
        <p>Each audit row carries the hash of the row before it; verifying recomputes every hash.</p>
        <button type="button" class="primary" disabled={verify.busy} onClick={verify.run}>
          {verify.busy ? "Verifying…" : "Verify the chain"}
        </button>
      </div>
      <div role="status" aria-label="Chain verification">
        {walk === null ? null : <Verdict walk={walk} />}
      </div>
      <ActionError problem={verify.problem} />
    </div>
  );
}
