import type { Sdgate } from "@sdgate/sdk";
import type { EvaluationSide } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { errorText } from "./format.ts";

/**
 * One side's image of an evaluation item, read through the SDK on the person's session (an admin
 * call) and shown from a blob URL, which is let go when the image leaves the page.
 */
export function EvaluationImage(props: {
  session: Sdgate;
  id: string;
  index: number;
  side: EvaluationSide;
  alt: string;
}) {
  const { session, id, index, side } = props;
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let current = true;
    session.evaluations.image(id, index, side).then(
      ({ bytes, contentType }) => {
        if (!current) return;
        url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: contentType ?? "image/png" }));
        setSrc(url);
      },
      (failure: unknown) => current && setError(errorText(failure)),
    );
    return () => {
      current = false;
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [session, id, index, side]);
  if (error !== null) return <div class="no-image">{error}</div>;
  return src === null ? <div class="no-image">Loading…</div> : <img src={src} alt={props.alt} />;
}
