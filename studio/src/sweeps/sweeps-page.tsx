import type { StudioContext } from "../shell/studio-context.ts";
import { SweepBuilder } from "./sweep-builder.tsx";
import { SweepList } from "./sweep-list.tsx";
import { SweepView } from "./sweep-view.tsx";
import "./sweeps.css";

/** `#/sweeps`: build and run a sweep, and the team's sweeps; `#/sweeps/<id>`: one sweep's grid. */
export function Sweeps(props: { studio: StudioContext }) {
  const { client, route } = props.studio;
  if (client === null) return null;
  const id = route.rest[0];
  if (id !== undefined) return <SweepView client={client} id={id} query={route.query} />;
  return (
    <div class="sweeps">
      <SweepBuilder client={client} />
      <SweepList client={client} />
    </div>
  );
}
