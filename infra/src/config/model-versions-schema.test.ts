import { describe, expect, it } from "vitest";
import { installMocks } from "../test-support/pulumi-mocks.ts";
import { exampleConfigValues, exampleStack, loadProblem } from "../test-support/stack-fixture.ts";

installMocks();

type Raw = Record<string, unknown>;

const V2 = { version: "v2", digest: "2".repeat(64), source: "s3://acme-models/sd15/v2", region: "us-east-1" };
const V3 = { version: "v3", digest: "3".repeat(64), source: "gs://acme-models/sd15/v3" };

/** The example with sd15's versions listed and aws-use1's unversioned source taken out. */
function versioned(values: Raw): { models: Raw[]; aws: Raw; gcp: Raw; awsCluster: Raw } {
  const models = [{ id: "sd15", versions: [{ ...V2 }, { ...V3 }] }];
  values.models = models;
  const [aws, gcp] = values.clusters as [Raw, Raw];
  const awsModel = aws.model as Raw;
  delete awsModel.source;
  delete awsModel.region;
  return { models, aws: awsModel, gcp, awsCluster: aws };
}

function problemWith(edit: (stack: ReturnType<typeof versioned>, values: Raw) => void): string {
  const values = exampleConfigValues();
  edit(versioned(values), values);
  return loadProblem(values);
}

describe("sdgate:models", () => {
  it("is optional: without it a pvc model is the one folder at its source", () => {
    const [aws] = exampleStack().clusters;
    expect(aws?.model).toMatchObject({ kind: "pvc", source: "s3://acme-models/sd15-onnx", versions: [] });
    expect(aws?.model).not.toHaveProperty("served");
  });

  it("gives a pvc cluster every version and serves the last one listed", () => {
    const config = exampleStack((values) => versioned(values));
    expect(config.models).toEqual([{ id: "sd15", versions: [V2, V3] }]);
    const [aws, gcp] = config.clusters;
    expect(aws?.model).toMatchObject({ versions: [V2, V3], served: V3 });
    // An image volume is its image: versions do not apply.
    expect(gcp?.model).not.toHaveProperty("versions");
  });

  it("serves the list's serve, or a cluster's own model.serve before it", () => {
    const listed = exampleStack((values) => {
      const [model] = versioned(values).models;
      (model as Raw).serve = "v2";
    });
    expect(listed.clusters[0]?.model).toMatchObject({ served: V2 });
    const own = exampleStack((values) => {
      const { models, aws } = versioned(values);
      (models[0] as Raw).serve = "v3";
      aws.serve = "v2";
    });
    expect(own.clusters[0]?.model).toMatchObject({ served: V2 });
  });

  it.each<[string, (stack: ReturnType<typeof versioned>) => void, string]>([
    [
      "a digest with a prefix",
      ({ models }) =>
        ((((models[0] as Raw).versions as Raw[])[0] as Raw).digest = `sha256:${"2".repeat(64)}`),
      "sdgate:models[0].versions[0].digest: must be a SHA-256 digest in lowercase hex",
    ],
    [
      "a short digest",
      ({ models }) => ((((models[0] as Raw).versions as Raw[])[1] as Raw).digest = "3".repeat(12)),
      "sdgate:models[0].versions[1].digest:",
    ],
    [
      "a version listed twice",
      ({ models }) => ((((models[0] as Raw).versions as Raw[])[1] as Raw).version = "v2"),
      "sdgate:models[0].versions[1].version: 'v2' is listed twice",
    ],
    [
      "one digest under two versions",
      ({ models }) => ((((models[0] as Raw).versions as Raw[])[1] as Raw).digest = V2.digest),
      "sdgate:models[0].versions[1].digest: is also v2's: one set of files is one version",
    ],
    [
      "a version label that is not the registry's",
      ({ models }) => ((((models[0] as Raw).versions as Raw[])[0] as Raw).version = "2.0"),
      "sdgate:models[0].versions[0].version: must be a version such as v3",
    ],
    [
      "serve naming no listed version",
      ({ models }) => ((models[0] as Raw).serve = "v4"),
      "sdgate:models[0].serve: must be one of the listed versions (v2, v3)",
    ],
    [
      "no version",
      ({ models }) => ((models[0] as Raw).versions = []),
      "sdgate:models[0].versions: must list",
    ],
    [
      "an s3 source without its region",
      ({ models }) => delete (((models[0] as Raw).versions as Raw[])[0] as Raw).region,
      "sdgate:models[0].versions[0].region: is required for an s3:// source",
    ],
    [
      "a source that is not a URL",
      ({ models }) => ((((models[0] as Raw).versions as Raw[])[1] as Raw).source = "/mnt/models/v3"),
      "sdgate:models[0].versions[1].source: must be an s3://, gs:// or https:// URL",
    ],
    [
      "a model listed twice",
      ({ models }) => models.push({ id: "sd15", versions: [V3] }),
      "sdgate:models[1].id: 'sd15' is listed twice",
    ],
    [
      "a model no pvc cluster serves",
      ({ models }) => models.push({ id: "sdxl", versions: [V3] }),
      "sdgate:models[1].id: no cluster has a pvc model 'sdxl'",
    ],
    [
      "an unversioned source beside the versions",
      ({ aws }) => (aws.source = "gs://acme-models/sd15"),
      "sdgate:clusters[0].model.source: must be left out: sdgate:models lists versions of 'sd15'",
    ],
    [
      "a cluster's serve naming no listed version",
      ({ aws }) => (aws.serve = "v9"),
      "sdgate:clusters[0].model.serve: must be one of sdgate:models' versions of 'sd15' (v2, v3)",
    ],
    [
      "a ReadWriteOnce volume, which the copy Job could not mount beside the backends",
      ({ aws, awsCluster }) => {
        aws.accessMode = "ReadWriteOnce";
        awsCluster.replicas = { min: 1, max: 1 };
      },
      "sdgate:clusters[0].model.accessMode: must be ReadWriteMany with sdgate:models versions",
    ],
    [
      "a misspelt key",
      ({ models }) => ((models[0] as Raw).version = "v3"),
      'sdgate:models[0]: Unrecognized key: "version"',
    ],
  ])("refuses %s, naming the key", (_, edit, message) => {
    expect(problemWith(edit)).toContain(message);
  });

  it("refuses a pvc model with neither a source nor versions, and a serve without versions", () => {
    const message = problemWith((_, values) => {
      delete values.models;
      (((values.clusters as Raw[])[0] as Raw).model as Raw).serve = "v2";
    });
    expect(message).toContain(
      "sdgate:clusters[0].model.source: is required unless sdgate:models lists versions of 'sd15'",
    );
    expect(message).toContain(
      "sdgate:clusters[0].model.serve: applies only when sdgate:models lists versions",
    );
  });
});
