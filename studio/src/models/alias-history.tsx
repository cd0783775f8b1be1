import type { Sdgate } from "@sdgate/sdk";
import { actorName, when } from "./format.ts";
import { useLoad } from "./use-load.ts";

/** Every move of one alias, oldest first: bootstrap, promotions and rollbacks, as the registry keeps them. */
export function AliasHistory(props: { session: Sdgate; modelId: string; alias: string }) {
  const { session, modelId, alias } = props;
  const [moves] = useLoad(() => session.registry.history(modelId, alias), [session, modelId, alias]);
  if (moves.state === "loading") return <p>Loading…</p>;
  if (moves.state === "error") return <p role="alert">{moves.message}</p>;
  return (
    <ol class="history" aria-label={`Moves of ${alias}`}>
      {moves.value.data.map((move) => (
        <li key={move.revision}>
          {move.from_version ?? "—"} → {move.to_version} ({move.reason}), {when(move.moved_at)} by{" "}
          {actorName(move.moved_by)}
          {move.promotion_id === null ? "" : `, ${move.promotion_id}`}
        </li>
      ))}
    </ol>
  );
}
