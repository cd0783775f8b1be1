import type { EvaluationSummary } from "@sdgate/shared";
import { useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import type { ModelState } from "./model-detail.tsx";
import { PromotionForm } from "./promotion-form.tsx";
import { PromotionItem } from "./promotion-item.tsx";
import { pendingFirst } from "./registry-view.ts";

/** A model's promotion requests: ask for one (`models.register`), decide them (`models.approve`). */
export function PromotionsSection(props: {
  state: ModelState;
  studio: StudioContext;
  evaluations: EvaluationSummary[];
  onChange: () => void;
}) {
  const { state, studio } = props;
  const [done, setDone] = useState<string | null>(null);
  const changed = (what: string) => {
    setDone(what);
    props.onChange();
  };
  return (
    <section class="card" aria-labelledby="promotions-title">
      <h2 id="promotions-title">Promotion requests</h2>
      <p role="status" class="done">
        {done}
      </p>
      {mayOnRegistry(studio.principal, "models.register") && state.versions.length > 0 ? (
        <PromotionForm
          state={state}
          session={studio.session}
          evaluations={props.evaluations}
          onRequested={changed}
        />
      ) : null}
      {state.promotions.length === 0 ? <p>No promotion has been asked for yet.</p> : null}
      <ul class="promotion-list">
        {pendingFirst(state.promotions).map((request) => (
          <PromotionItem
            key={request.id}
            request={request}
            state={state}
            studio={studio}
            onDecided={changed}
          />
        ))}
      </ul>
    </section>
  );
}
