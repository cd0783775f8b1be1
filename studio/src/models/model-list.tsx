import type { Alias, ModelRecord } from "@sdgate/shared";
import { hrefOf } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import { actorName, when } from "./format.ts";
import { useLoad } from "./use-load.ts";

/** Every registered model with its aliases and the version each points at. */
export function ModelList(props: { studio: StudioContext }) {
  const { session } = props.studio;
  const [models] = useLoad(async () => {
    const { data } = await session.registry.list();
    return Promise.all(
      data.map(async (model): Promise<{ model: ModelRecord; aliases: Alias[] }> => {
        const aliases = await session.registry.aliases(model.id);
        return { model, aliases: aliases.data };
      }),
    );
  }, [session]);

  return (
    <section class="card models" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      {models.state === "loading" ? <p>Loading…</p> : null}
      {models.state === "error" ? <p role="alert">{models.message}</p> : null}
      {models.state === "ready" && models.value.length === 0 ? <p>No model is registered yet.</p> : null}
      {models.state === "ready" ? (
        <ul class="model-list">
          {models.value.map(({ model, aliases }) => (
            <li key={model.id}>
              <h3>
                <a href={hrefOf("models", [model.id])}>{model.id}</a>
              </h3>
              {model.description === "" ? null : <p>{model.description}</p>}
              {aliases.length === 0 ? (
                <p>No alias yet</p>
              ) : (
                <dl class="aliases">
                  {aliases.map((alias) => (
                    <div key={alias.name}>
                      <dt>{alias.name}</dt>
                      <dd>{alias.version}</dd>
                    </div>
                  ))}
                </dl>
              )}
              <p class="muted">
                Registered {when(model.created_at)} by {actorName(model.created_by)}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
