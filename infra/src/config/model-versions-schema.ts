import { digestSchema, versionLabelSchema } from "@sdgate/shared";
import { z } from "zod";
import { bucketRegion, modelId, modelSource, refineSourceRegion } from "./model-schema.ts";

/**
 * `sdgate:models`: registry versions to put on the clusters' model volumes. Each version's files are
 * copied from `source` into a folder named by its digest and checked against it before any backend
 * may load them (components/model-version-copy.ts); the backends serve `serve`.
 */
const versionSchema = z
  .strictObject({
    /** The registry's label for it (`sdgate registry versions <id>`), e.g. `v3`. */
    version: versionLabelSchema,
    /** The registry version's digest: SHA-256 of its files' manifest (shared/src/model-digest.ts). */
    digest: digestSchema,
    /** The version's own folder: never overwritten, as its digest cannot change. */
    source: modelSource,
    region: bucketRegion.optional(),
  })
  .superRefine((version, ctx) => refineSourceRegion(version, [], ctx));
export type ModelVersion = z.output<typeof versionSchema>;

const modelVersionsSchema = z
  .strictObject({
    /** The model id of `sdgate:clusters[].model.id` and of the registry. */
    id: modelId,
    /** The version the backends serve; default the last one listed. */
    serve: versionLabelSchema.optional(),
    /** Every version kept on the volumes: keep the one before `serve` listed, to roll back to. */
    versions: z.array(versionSchema).min(1, "must list at least one version"),
  })
  .superRefine((model, ctx) => {
    const labels = new Set<string>();
    const digests = new Map<string, string>();
    model.versions.forEach((version, index) => {
      if (labels.has(version.version)) {
        ctx.addIssue({
          code: "custom",
          path: ["versions", index, "version"],
          message: `'${version.version}' is listed twice`,
        });
      }
      labels.add(version.version);
      const twin = digests.get(version.digest);
      if (twin !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["versions", index, "digest"],
          message: `is also ${twin}'s: one set of files is one version`,
        });
      }
      digests.set(version.digest, version.version);
    });
    if (model.serve !== undefined && !labels.has(model.serve)) {
      ctx.addIssue({
        code: "custom",
        path: ["serve"],
        message: `must be one of the listed versions (${[...labels].join(", ")})`,
      });
    }
  });
export type ModelVersionsConfig = z.output<typeof modelVersionsSchema>;

export const modelsSchema = z
  .array(modelVersionsSchema)
  .superRefine((models, ctx) => {
    const seen = new Set<string>();
    models.forEach((model, index) => {
      if (seen.has(model.id))
        ctx.addIssue({ code: "custom", path: [index, "id"], message: `'${model.id}' is listed twice` });
      seen.add(model.id);
    });
  })
  .default([]);

/** What a cluster's pvc model gets from `sdgate:models`: every version, and the one it serves. */
export interface ClusterModelVersions {
  versions: ModelVersion[];
  served: ModelVersion | undefined;
}

type PvcModelFields = {
  kind: "pvc";
  id: string;
  source?: string | undefined;
  serve?: string | undefined;
  accessMode: string;
};
type ClusterFields = { model: PvcModelFields | { kind: "image"; id: string } };

/** A cluster's versions: its `model.serve`, else the list's `serve`, else the last one listed. */
export function clusterModelVersions(
  model: ClusterFields["model"],
  models: readonly ModelVersionsConfig[],
): ClusterModelVersions {
  const listed = models.find((m) => m.id === model.id);
  if (model.kind !== "pvc" || listed === undefined) return { versions: [], served: undefined };
  const label = model.serve ?? listed.serve ?? listed.versions.at(-1)?.version;
  return { versions: listed.versions, served: listed.versions.find((v) => v.version === label) };
}

/** The problems that span `sdgate:models` and `sdgate:clusters`, each naming its key. */
export function modelVersionProblems(
  clusters: readonly ClusterFields[],
  models: readonly ModelVersionsConfig[],
  namespace: string,
): string[] {
  const problems: string[] = [];
  models.forEach((listed, index) => {
    if (!clusters.some((c) => c.model.kind === "pvc" && c.model.id === listed.id)) {
      problems.push(
        `${namespace}:models[${index}].id: no cluster has a pvc model '${listed.id}' (clusters[].model.id) to put it on`,
      );
    }
  });
  clusters.forEach(({ model }, index) => {
    if (model.kind !== "pvc") return;
    const at = `${namespace}:clusters[${index}].model`;
    const listed = models.find((m) => m.id === model.id);
    if (listed === undefined) {
      if (model.source === undefined)
        problems.push(`${at}.source: is required unless ${namespace}:models lists versions of '${model.id}'`);
      if (model.serve !== undefined)
        problems.push(`${at}.serve: applies only when ${namespace}:models lists versions of '${model.id}'`);
      return;
    }
    if (model.source !== undefined) {
      problems.push(
        `${at}.source: must be left out: ${namespace}:models lists versions of '${model.id}', which copy Jobs put on the volume`,
      );
    }
    if (model.serve !== undefined && !listed.versions.some((v) => v.version === model.serve)) {
      problems.push(
        `${at}.serve: must be one of ${namespace}:models' versions of '${model.id}' (${listed.versions.map((v) => v.version).join(", ")})`,
      );
    }
    if (model.accessMode !== "ReadWriteMany") {
      problems.push(
        `${at}.accessMode: must be ReadWriteMany with ${namespace}:models versions: each version's copy Job mounts the volume beside the backends`,
      );
    }
  });
  return problems;
}
