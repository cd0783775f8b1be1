import type { Sdgate } from "@sdgate/sdk";
import type { PromotionRequest } from "@sdgate/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./format.ts";

export type Decision = "approve" | "reject";

/**
 * The step before a decision: what it will do, a reason, then Confirm or Cancel (Escape cancels).
 * The API's refusal (someone's own request, a stale revision) stays here, beside the action.
 */
export function DecisionConfirm(props: {
  decision: Decision;
  request: PromotionRequest;
  expectedRevision: number;
  session: Sdgate;
  onCancel: () => void;
  onDecided: (what: string) => void;
}) {
  const { decision, request, session } = props;
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  const what =
    decision === "approve"
      ? `Approving moves ${request.alias} from ${request.from_version ?? "nothing"} to ${request.to_version}.`
      : `Rejecting leaves ${request.alias} where it is.`;

  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (decision === "approve") {
        const approved = await session.registry.approve(request.id, {
          comment: reason,
          expected_revision: props.expectedRevision,
        });
        const superseded =
          approved.superseded.length === 0 ? "" : `; superseded ${approved.superseded.join(", ")}`;
        props.onDecided(
          `Approved ${request.id}: ${approved.alias.name} now points at ${approved.alias.version} (revision ${approved.alias.revision})${superseded}.`,
        );
      } else {
        const rejected = await session.registry.reject(request.id, { comment: reason });
        props.onDecided(`Rejected ${rejected.id}: ${rejected.alias} stays where it was.`);
      }
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  };

  return (
    <form
      class="confirm"
      aria-label={`${decision === "approve" ? "Approve" : "Reject"} ${request.id}?`}
      onSubmit={confirm}
      onKeyDown={(event) => {
        if (event.key === "Escape") props.onCancel();
      }}
    >
      <p>{what}</p>
      <label>
        Reason
        <textarea
          ref={field}
          rows={2}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </label>
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {decision === "approve" ? "Confirm approval" : "Confirm rejection"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {error === null ? null : <p role="alert">{error}</p>}
    </form>
  );
}
