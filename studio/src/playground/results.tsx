import "./results.css";
import type { GenerationBody } from "@sdgate/sdk";
import type { JobWithResult } from "@sdgate/shared";

/** The recipe a run ran with, field by field (input images named, not shown). */
function Recipe(props: { request: GenerationBody }) {
  const fields = Object.entries(props.request).map(([name, value]): [string, string] => [
    name,
    (name === "image" || name === "mask") && typeof value === "string"
      ? `${name === "image" ? "an input image" : "a mask"} (${Math.round((value.length * 3) / 4 / 1024)} KB)`
      : typeof value === "string"
        ? value
        : JSON.stringify(value),
  ]);
  return (
    <details class="recipe">
      <summary>Recipe</summary>
      <dl>
        {fields.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** What a finished run was charged, beside what it was estimated at before it ran. */
function chargedLine(job: JobWithResult, estimated: number | null): string {
  const charged = job.credits?.charged;
  const estimate = estimated === null ? "" : ` (estimated ${estimated})`;
  if (charged === null || charged === undefined) return `charge unknown${estimate}`;
  // A replay-cache hit charges nothing: the same seeded request already ran.
  return `${charged} credits charged${estimate}${charged === 0 ? " (served from the replay cache)" : ""}`;
}

/** A run's images, each with its seed, its recipe, and what the run was charged against its estimate. */
export function Results(props: { job: JobWithResult; estimated: number | null; request: GenerationBody }) {
  const result = props.job.result;
  if (result === undefined) return null;
  return (
    <section class="results" aria-label="Images">
      <p>
        {result.model} · {result.size} · {chargedLine(props.job, props.estimated)}
      </p>
      <Recipe request={props.request} />
      <ul>
        {result.data.map((image, index) => {
          const src =
            "b64_json" in image ? `data:image/${result.output_format};base64,${image.b64_json}` : image.url;
          return (
            <li key={image.seed}>
              <figure>
                <img src={src} alt={`Result ${index + 1}, seed ${image.seed}`} />
                <figcaption>
                  Seed {image.seed} ·{" "}
                  <a href={src} download={`sdgate-${image.seed}.${result.output_format}`}>
                    Download
                  </a>
                </figcaption>
              </figure>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
