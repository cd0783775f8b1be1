import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSdgateError } from "@sdgate/shared";
import { exampleControlNetUnit, exampleResolvedRequest } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTestControlNet } from "../engine/control/test-control-models.ts";
import { folderDigest } from "../model-digest.ts";
import {
  type ControlCatalog,
  checkControlUnits,
  controlNetAdapters,
  scanControlCatalog,
} from "./controlnet-catalog.ts";

let root: string;
let catalog: ControlCatalog;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sdgate-controlnet-catalog-"));
  await writeTestControlNet(join(root, "controlnet"), "canny-v11");
  await writeTestControlNet(join(root, "controlnet"), "depth-v11", "positional");
  // not ControlNets: a folder without model.onnx, and a loose file
  await mkdir(join(root, "controlnet/empty"), { recursive: true });
  await writeFile(join(root, "controlnet/readme.txt"), "hello");
  catalog = await scanControlCatalog(join(root, "controlnet"), join(root, "annotators"));
});

const unit = (model: string, digest: string, preprocessor: "none" | "depth" = "none") =>
  exampleControlNetUnit({ model, digest, preprocessor });

function refusal(run: () => void) {
  try {
    run();
  } catch (error) {
    if (isSdgateError(error)) return error;
    throw error;
  }
  throw new Error("not refused");
}

describe("the backend's ControlNet catalog", () => {
  it("lists each folder with a model.onnx by name, with its folder's model digest, for the status", async () => {
    expect([...catalog.controlNets.keys()]).toEqual(["canny-v11", "depth-v11"]);
    expect(controlNetAdapters(catalog)).toEqual([
      {
        kind: "controlnet",
        name: "canny-v11",
        digest: await folderDigest(join(root, "controlnet/canny-v11")),
      },
      {
        kind: "controlnet",
        name: "depth-v11",
        digest: await folderDigest(join(root, "controlnet/depth-v11")),
      },
    ]);
  });

  it("holds nothing when the folder does not exist", async () => {
    expect((await scanControlCatalog(join(root, "missing"), join(root, "annotators"))).controlNets.size).toBe(
      0,
    );
  });

  it("accepts a unit it holds with that digest, and refuses another digest or name with adapter_unavailable naming the model", () => {
    const held = catalog.controlNets.get("canny-v11")?.digest as string;
    checkControlUnits(exampleResolvedRequest({ controlnet: [unit("canny-v11", held)] }), catalog);
    const other = refusal(() =>
      checkControlUnits(exampleResolvedRequest({ controlnet: [unit("canny-v11", "b".repeat(64))] }), catalog),
    );
    expect(other.code).toBe("adapter_unavailable");
    expect(other.param).toBe("controlnet.0.model");
    expect(other.message).toContain("'canny-v11'");
    const unknown = refusal(() =>
      checkControlUnits(
        exampleResolvedRequest({ controlnet: [unit("canny-v11", held), unit("scribble", held)] }),
        catalog,
      ),
    );
    expect(unknown.param).toBe("controlnet.1.model");
    expect(unknown.message).toContain("no ControlNet of that name");
  });

  it("names the depth preprocessor and where its annotator model would go when it is missing", () => {
    const held = catalog.controlNets.get("depth-v11")?.digest as string;
    const error = refusal(() =>
      checkControlUnits(exampleResolvedRequest({ controlnet: [unit("depth-v11", held, "depth")] }), catalog),
    );
    expect(error.code).toBe("adapter_unavailable");
    expect(error.param).toBe("controlnet.0.preprocessor");
    expect(error.message).toContain("'depth' preprocessor");
    expect(error.message).toContain(join(root, "annotators/depth/model.onnx"));
  });
});
