import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { JobWithResult, Run } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { base64Of, type InputImages, reproducibleBody, sha256Hex } from "./reproduce.ts";

/** The first image of a finished job, as bytes (a job answers in base64 or with a signed link). */
async function firstImage(client: Sdgate, job: JobWithResult): Promise<Uint8Array<ArrayBuffer> | null> {
  const image = job.result?.data[0];
  if (image === undefined) return null;
  if ("b64_json" in image) return Uint8Array.from(atob(image.b64_json), (char) => char.charCodeAt(0));
  return new Uint8Array((await client.images.getFile(image.url)).bytes);
}

/** A run's input images, fetched through their signed links: what its request ran on, byte for byte. */
async function inputImages(client: Sdgate, run: Run): Promise<InputImages> {
  const fetched = await Promise.all(
    run.inputs.flatMap(({ digest, url }) =>
      url === null
        ? []
        : [client.images.getFile(url).then(({ bytes }) => [digest, base64Of(bytes)] as const)],
    ),
  );
  return new Map(fetched);
}

/**
 * Reproduce: runs a run's recorded request again (its input images fetched from their links) as a job, past the cache (so the GPU really runs it),
 * and says whether the new image's bytes are identical to the run's.
 */
export function ReproduceButton(props: { client: Sdgate; run: Run }) {
  const { client, run } = props;
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Whether its record can be run again, before its inputs are fetched: every input it refers to has a link.
  const ready = new Map(run.inputs.flatMap(({ digest, url }) => (url === null ? [] : [[digest, ""]])));
  const again = reproducibleBody(run.request, ready);
  const before = run.images[0]?.url ?? null;

  const reproduce = async () => {
    if (!again.ok || before === null) return;
    setBusy(true);
    setSaid("Running its request again…");
    try {
      const body = reproducibleBody(run.request, await inputImages(client, run));
      if (!body.ok) {
        setSaid(body.reason);
        return;
      }
      const job = await client.images.generateAsync(body.body, { cache: "no-cache" });
      const done = await client.jobs.wait(job.id);
      const now = await firstImage(client, done);
      if (done.status !== "succeeded" || now === null) {
        setSaid(`The new run ${done.status}: ${done.error?.message ?? "no image"}.`);
        return;
      }
      const [oldHash, newHash] = await Promise.all([
        sha256Hex(new Uint8Array((await client.images.getFile(before)).bytes)),
        sha256Hex(now),
      ]);
      // An alias may resolve to a newer registry version than the run had: then the bytes cannot agree.
      const ranVersion = done.result?.model_version ?? null;
      const versionNote =
        run.model_version !== null && ranVersion !== null && ranVersion !== run.model_version
          ? ` It ran ${run.model} ${ranVersion}; the run had ${run.model_version}.`
          : "";
      setSaid(
        (oldHash === newHash
          ? `Reproduced as ${done.id}: the image's bytes are identical (SHA-256 ${newHash.slice(0, 12)}…).`
          : `Ran again as ${done.id}: the image's bytes differ (SHA-256 ${oldHash.slice(0, 12)}… then ${newHash.slice(0, 12)}…).`) +
          versionNote,
      );
    } catch (failure) {
      setSaid(isSdgateApiError(failure) ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  const why = !again.ok
    ? again.reason
    : before === null
      ? "Its image is no longer kept, so there is nothing to compare with."
      : null;
  return (
    <>
      <button type="button" onClick={reproduce} disabled={busy || why !== null} title={why ?? undefined}>
        Reproduce
      </button>
      <p role="status" aria-label="Reproduce" class="said">
        {said ?? why ?? ""}
      </p>
    </>
  );
}
