import type { PromotionRequest } from "@sdgate/shared";
import { useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";
import { isOwnRequest, mayOnRegistry } from "./access.ts";
import { type Decision, DecisionConfirm } from "./decision-confirm.tsx";
import { actorName, when } from "./format.ts";
import type { ModelState } from "./model-detail.tsx";

/** One promotion request: what it asks, why, how it was decided; approve, reject or withdraw it while pending. */
export function PromotionItem(props: {
  request: PromotionRequest;
  state: ModelState;
  studio: StudioContext;
  onDecided: (what: string) => void;
}) {
  const { request, studio } = props;
  const { principal } = studio;
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const own = isOwnRequest(principal, request);
  const mayApprove = mayOnRegistry(principal, "models.approve");
  // The requester may withdraw their own request (a rejection) with `models.register` alone.
  const mayReject = mayApprove || (own && mayOnRegistry(principal, "models.register"));
  const pending = request.status === "pending";
  // The approver confirms the alias as they see it now: a move meanwhile is a 409, not a surprise.
  const revision = props.state.aliases.find((alias) => alias.name === request.alias)?.revision ?? 0;

  return (
    <li class={`promotion ${request.status}`} aria-label={`Request ${request.id}`}>
      <p>
        <strong>
          {request.alias}: {request.from_version ?? "—"} → {request.to_version}
        </strong>{" "}
        <span class="badge">{request.status}</span>
      </p>
      <p class="muted">
        {request.id}, asked {when(request.requested_at)} by {actorName(request.requested_by)}
        {own ? " (you)" : ""}
      </p>
      {request.comment === "" ? null : <p>“{request.comment}”</p>}
      {request.evidence.length === 0 ? null : (
        <ul class="evidence" aria-label="Evidence">
          {request.evidence.map((item) => (
            <li key={item.ref}>
              {item.kind}: {item.ref}
              {item.note === "" ? "" : ` — ${item.note}`}
            </li>
          ))}
        </ul>
      )}
      {request.decided_by === null ? null : (
        <p>
          {request.status} {when(request.decided_at)} by {actorName(request.decided_by)}
          {request.decision_comment ? `: “${request.decision_comment}”` : ""}
        </p>
      )}
      {pending && (mayApprove || mayReject) && deciding === null ? (
        <div class="row">
          {mayApprove ? (
            <button type="button" class="primary" onClick={() => setDeciding("approve")}>
              Approve {request.id}
            </button>
          ) : null}
          {mayReject ? (
            <button type="button" onClick={() => setDeciding("reject")}>
              {mayApprove ? "Reject" : "Withdraw"} {request.id}
            </button>
          ) : null}
          {own && mayApprove ? (
            <span class="muted">Your own request: the registry lets only someone else approve it.</span>
          ) : null}
        </div>
      ) : null}
      {deciding === null ? null : (
        <DecisionConfirm
          decision={deciding}
          request={request}
          expectedRevision={revision}
          session={studio.session}
          onCancel={() => setDeciding(null)}
          onDecided={(what) => {
            setDeciding(null);
            props.onDecided(what);
          }}
        />
      )}
    </li>
  );
}
