import type { JobWithResult } from "@sdgate/shared";

/** A run's images, each with its seed, and what the run was priced at. */
export function Results(props: { job: JobWithResult; credits: number | null }) {
  const result = props.job.result;
  if (result === undefined) return null;
  return (
    <section class="results" aria-label="Images">
      <p>
        {result.model} · {result.size} ·{" "}
        {props.credits === null ? "credits unknown" : `${props.credits} credits for what ran`}
      </p>
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
