import { DockerfileParser } from "dockerfile-ast";

export interface DockerfileFacts {
  /** Each stage's base image with global ARG defaults substituted, and its instructions. */
  stages: { name: string | null; image: string; instructions: { keyword: string; args: string }[] }[];
}

/** Parses a Dockerfile (Docker's own grammar, via dockerfile-ast) into stages. */
export function parseDockerfile(text: string): DockerfileFacts {
  const defaults = new Map<string, string>();
  const stages: DockerfileFacts["stages"] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    // The whole text, not getArgumentsContent(): that one drops flags such as COPY's --from.
    const args = instruction
      .getTextContent()
      .slice(instruction.getKeyword().length)
      .replace(/\\\n/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    if (keyword === "FROM") {
      const [image = "", as, name] = args.split(" ");
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, key: string) => defaults.get(key) ?? "");
      stages.push({
        name: as?.toUpperCase() === "AS" ? (name ?? null) : null,
        image: resolved,
        instructions: [],
      });
    } else if (stages.length === 0) {
      // ARGs before the first FROM are the ones FROM lines may use.
      const [key, value = ""] = args.split("=", 2);
      if (keyword === "ARG" && key !== undefined) defaults.set(key, value.replace(/^"|"$/g, ""));
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return { stages };
}

/**
 * What the backend image must be (issue 6): multi-stage, a CUDA 13 + cuDNN 9 runtime base, npm ci
 * without onnxruntime-node's CUDA 12 download and then the pinned CUDA 13 provider installed
 * (backend/src/cli/install-cuda-provider.ts), the pinned Node, a non-root user, a health check on /healthz.
 * Returns one line per problem; empty when the file is right.
 */
export function dockerfileProblems(text: string, expected: { nodeVersion: string; uid: number }): string[] {
  const problems: string[] = [];
  const { stages } = parseDockerfile(text);
  const final = stages.at(-1);
  if (stages.length < 2 || final === undefined) return ["must be multi-stage (dependencies, then runtime)"];
  if (!/^nvidia\/cuda:13\.\d+(\.\d+)?-cudnn-runtime-/.test(final.image)) {
    problems.push(
      `the runtime stage must start from a CUDA 13 + cuDNN 9 runtime image, not '${final.image}'`,
    );
  }
  const installStage = stages.find((s) =>
    s.instructions.some((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args)),
  );
  if (installStage === undefined) problems.push("no stage runs `npm ci`");
  else {
    const npmCi = installStage.instructions.findIndex(
      (i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args),
    );
    const skip = /\bONNXRUNTIME_NODE_INSTALL=skip\b/;
    const flag = installStage.instructions.findIndex((i) => i.keyword === "ENV" && skip.test(i.args));
    const inline = skip.test(installStage.instructions[npmCi]?.args ?? "");
    if (!inline && (flag < 0 || flag > npmCi))
      problems.push(
        "`npm ci` must run with ONNXRUNTIME_NODE_INSTALL=skip (its CUDA 12 build does not fit CUDA 13)",
      );
    const provider = installStage.instructions.findIndex(
      (i) => i.keyword === "RUN" && /\binstall-cuda-provider\.ts\b/.test(i.args),
    );
    if (provider < npmCi)
      problems.push("the install stage must run backend/src/cli/install-cuda-provider.ts after `npm ci`");
    if (!installStage.image.startsWith(`node:${expected.nodeVersion}`)) {
      problems.push(
        `the install stage must use the pinned Node ${expected.nodeVersion}, not '${installStage.image}'`,
      );
    }
  }
  if (
    !final.instructions.some(
      (i) => i.keyword === "COPY" && /--from=\S+ \/usr\/local\/bin\/node /.test(i.args),
    )
  ) {
    problems.push("the runtime stage must copy the pinned Node from the install stage");
  }
  const user = final.instructions.filter((i) => i.keyword === "USER").at(-1)?.args;
  if (user === undefined || /^(root|0)(:|$)/.test(user))
    problems.push("the runtime stage must end as a non-root USER");
  else if (!user.startsWith(String(expected.uid)))
    problems.push(`USER must be ${expected.uid}, the UID the pods run as`);
  const health = final.instructions.find((i) => i.keyword === "HEALTHCHECK")?.args ?? "";
  if (!/\bCMD\b.*\/healthz/.test(health)) problems.push("HEALTHCHECK must probe /healthz");
  if (!final.instructions.some((i) => i.keyword === "CMD" && i.args.includes("src/main.ts"))) {
    problems.push("CMD must start the backend (src/main.ts)");
  }
  return problems;
}
