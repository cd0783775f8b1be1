import "./models.css";
import type { StudioContext } from "../shell/studio-context.ts";
import { mayOnRegistry } from "./access.ts";
import { ModelDetail } from "./model-detail.tsx";
import { ModelList } from "./model-list.tsx";

/** The registry's pages: every model, or one model (`#/models/<id>`). */
export function Models(props: { studio: StudioContext }) {
  const { principal, route } = props.studio;
  if (!mayOnRegistry(principal, "models.read"))
    return (
      <section class="card">
        <h2>Models</h2>
        <p>
          The model registry is deployment-wide: reading it takes a role held everywhere (such as viewer or
          model approver), not only in one team. Ask an admin for one.
        </p>
      </section>
    );
  const id = route.rest[0];
  return id === undefined ? (
    <ModelList studio={props.studio} />
  ) : (
    <ModelDetail key={id} id={id} studio={props.studio} />
  );
}
