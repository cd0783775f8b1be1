import { useEffect, useRef, useState } from "preact/hooks";
import type { ComparedRun } from "./compared-run.ts";
import { type PixelDifference, pixelDifference } from "./pixel-diff.ts";
import type { ViewTransform } from "./view-transform.ts";
import { Zoomed, ZoomPane } from "./zoom-pane.tsx";

const AMPLIFICATIONS = [1, 4, 16, 64] as const;

/** An image's pixels at `width` × `height` (B is scaled to A's size when they differ). */
async function pixelsOf(url: string, width: number | null, height: number | null): Promise<ImageData> {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = width ?? image.naturalWidth;
  canvas.height = height ?? image.naturalHeight;
  const context = canvas.getContext("2d");
  if (context === null) throw new Error("This browser gives no 2D canvas.");
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

async function differenceOf(a: string, b: string, amplify: number): Promise<PixelDifference> {
  const first = await pixelsOf(a, null, null);
  return pixelDifference(first, await pixelsOf(b, first.width, first.height), amplify);
}

/**
 * The per-pixel difference of A and B, computed on a canvas and amplified so small changes show, with
 * the share of pixels that differ and the largest difference.
 */
export function DiffView(props: {
  a: ComparedRun;
  b: ComparedRun;
  view: ViewTransform;
  onView: (view: ViewTransform) => void;
}) {
  const { a, b, view } = props;
  const [amplify, setAmplify] = useState<number>(16);
  const [result, setResult] = useState<PixelDifference | string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (a.imageUrl === null || b.imageUrl === null) {
      setResult("Both runs need an image to tell their difference.");
      return;
    }
    let current = true;
    setResult(null);
    differenceOf(a.imageUrl, b.imageUrl, amplify).then(
      (difference) => current && setResult(difference),
      (error: unknown) => current && setResult(`The images could not be read: ${String(error)}`),
    );
    return () => {
      current = false;
    };
  }, [a.imageUrl, b.imageUrl, amplify]);

  useEffect(() => {
    const target = canvas.current;
    if (target === null || result === null || typeof result === "string") return;
    target.width = result.width;
    target.height = result.height;
    target
      .getContext("2d")
      ?.putImageData(new ImageData(new Uint8ClampedArray(result.data), result.width, result.height), 0, 0);
  }, [result]);

  return (
    <div class="diff-view">
      <ZoomPane
        label={`Difference of ${a.label} and ${b.label}`}
        view={view}
        onView={props.onView}
        aspect={a.width / a.height}
      >
        <Zoomed view={view}>
          <canvas
            ref={canvas}
            role="img"
            aria-label={`Pixel difference of ${a.label} and ${b.label}, amplified ${amplify}×`}
          />
        </Zoomed>
      </ZoomPane>
      <label>
        Amplify
        <select value={amplify} onChange={(event) => setAmplify(Number(event.currentTarget.value))}>
          {AMPLIFICATIONS.map((factor) => (
            <option key={factor} value={factor}>
              {factor}×
            </option>
          ))}
        </select>
      </label>
      <p role="status" aria-label="Pixel difference">
        {result === null
          ? "Comparing pixels…"
          : typeof result === "string"
            ? result
            : `${(result.differingShare * 100).toFixed(2)} % of pixels differ · largest difference ${result.maxDifference} of 255`}
      </p>
    </div>
  );
}
