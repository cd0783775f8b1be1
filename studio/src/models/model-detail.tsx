import type { Alias, ModelRecord, ModelVersion, PromotionRequest } from "@sdgate/shared";
import { hrefOf } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import { AliasesSection } from "./aliases-section.tsx";
import { EvaluationComparison } from "./evaluation-comparison.tsx";
import { EvaluationsSection } from "./evaluations-section.tsx";
import { PoliciesSection } from "./policies-section.tsx";
import { PromotionsSection } from "./promotions-section.tsx";
import { useLoad } from "./use-load.ts";
import { VersionsSection } from "./versions-section.tsx";

/** What a model's page reads together, and reads again after a change (a promotion moves an alias). */
export interface ModelState {
  model: ModelRecord;
  versions: ModelVersion[];
  aliases: Alias[];
  promotions: PromotionRequest[];
}

/** One model: its versions, aliases with their splits, promotion requests, evaluations and policies. */
export function ModelDetail(props: { id: string; studio: StudioContext }) {
  const { id, studio } = props;
  const { session, principal, route } = studio;
  const [state, reload] = useLoad(async (): Promise<ModelState> => {
    const [model, versions, aliases, promotions] = await Promise.all([
      session.registry.get(id),
      session.registry.versions(id),
      session.registry.aliases(id),
      session.registry.promotions(id),
    ]);
    return { model, versions: versions.data, aliases: aliases.data, promotions: promotions.data };
  }, [session, id]);
  // Where each version is served, when the person may read the fleet (the API's backends report it).
  const [fleet] = useLoad(
    async () => (mayOnRegistry(principal, "backends.read") ? session.backends.list() : null),
    [session, principal],
  );
  const [evaluations, reloadEvaluations] = useLoad(() => session.evaluations.list(id), [session, id]);
  const openEvaluation = route.query.get("evaluation");

  return (
    <>
      <p>
        <a href={hrefOf("models")}>← All models</a>
      </p>
      <h2 class="model-title">{id}</h2>
      {state.state === "loading" ? <p>Loading…</p> : null}
      {state.state === "error" ? <p role="alert">{state.message}</p> : null}
      {state.state === "ready" ? (
        <>
          {state.value.model.description === "" ? null : <p>{state.value.model.description}</p>}
          <VersionsSection state={state.value} fleet={fleet.state === "ready" ? fleet.value : null} />
          <AliasesSection state={state.value} studio={studio} />
          <PromotionsSection
            state={state.value}
            studio={studio}
            evaluations={evaluations.state === "ready" ? evaluations.value.data : []}
            onChange={reload}
          />
          {openEvaluation === null ? null : (
            <EvaluationComparison
              key={openEvaluation}
              id={openEvaluation}
              modelId={id}
              session={session}
              onFinished={reloadEvaluations}
            />
          )}
          <EvaluationsSection
            state={state.value}
            studio={studio}
            evaluations={evaluations}
            onStarted={reloadEvaluations}
          />
          <PoliciesSection state={state.value} studio={studio} />
        </>
      ) : null}
    </>
  );
}
