import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HMAC_SECRET_NAME } from "../components/backend-pod.ts";
import { copyJobName } from "../components/model-version-copy.ts";
import { MODEL_CREDENTIALS_SECRET_NAME } from "../components/model-volume.ts";
import { IMAGE_PULL_SECRET_NAME } from "../components/pod-access.ts";
import { ADD_ON_PREREQUISITES } from "../prerequisites.ts";
import { assignments, commandName, type GuideCommand, guideCommands, shellBlocks } from "./guide-shell.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const GUIDE = readFileSync(join(REPO_ROOT, "docs/deploy.md"), "utf8");
const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

/** Tools the guide asks the operator to install ("What you need"), and the shell's own. */
const EXTERNAL_COMMANDS = new Set([
  ...["pulumi", "cloudflared", "docker", "kubectl", "helm", "openssl", "curl", "rclone"],
  ...["aws", "az", "gcloud", "nvidia-smi"],
  ...["echo", "cat", "cp", "mkdir", "sed", "grep", "umask", "export", "chmod"],
]);
/** Variables the operator's shell already has. */
const SHELL_VARIABLES = new Set(["PATH", "PWD", "HOME"]);
/** Files other tools write where the guide reads them (`cloudflared tunnel create`). */
const WRITTEN_BY_TOOLS = ["~/.cloudflared/"];
const REPO_PATH = /^(?:\.\/)?(?:backend|edge|infra|shared|scripts|docs|cli|sdk|bench)\/[\w./-]*$/;

/** What is wrong with a command where it stands in the guide, given what came before it. */
function commandProblems(command: GuideCommand, state: { variables: Set<string>; files: Set<string> }) {
  const problems: string[] = [];
  const { name, rest } = commandName(command);
  const at = `\`${command.line.trim()}\``;
  if (name === "npm") {
    const script = rest[0] === "run" ? rest[1] : undefined;
    if (rest[0] !== "ci" && (script === undefined || !SCRIPTS.includes(script)))
      problems.push(`${at}: no npm script '${script ?? rest[0]}'`);
  } else if (name === "npx") {
    if (!existsSync(join(REPO_ROOT, "node_modules/.bin", rest[0] ?? "")))
      problems.push(`${at}: '${rest[0]}' is not installed by npm ci`);
  } else if (name === "node") {
    if (!existsSync(join(REPO_ROOT, rest[0] ?? ""))) problems.push(`${at}: no file ${rest[0]}`);
  } else if (name !== "" && !EXTERNAL_COMMANDS.has(name)) {
    problems.push(`${at}: '${name}' is neither the project's nor a tool the guide asks for`);
  }
  for (const word of name === "node" ? rest.slice(1) : command.words) {
    if (REPO_PATH.test(word) && !existsSync(join(REPO_ROOT, word))) problems.push(`${at}: no file ${word}`);
  }
  for (const variable of command.expands) {
    if (!state.variables.has(variable) && !SHELL_VARIABLES.has(variable))
      problems.push(`${at}: $${variable} is used before the guide sets it`);
  }
  const reads = [...command.reads, ...(name === "cat" ? rest : [])].filter((f) => f.startsWith("~/"));
  for (const file of reads) {
    if (!state.files.has(file) && !WRITTEN_BY_TOOLS.some((prefix) => file.startsWith(prefix)))
      problems.push(`${at}: reads ${file}, which the guide never wrote (a secret it did not keep?)`);
  }
  for (const variable of assignments(command)) state.variables.add(variable);
  for (const file of command.writes) state.files.add(file);
  return problems;
}

function guideProblems(markdown: string): string[] {
  const state = { variables: new Set<string>(), files: new Set<string>() };
  return shellBlocks(markdown).flatMap((block) =>
    guideCommands(block).flatMap((command) => commandProblems(command, state)),
  );
}

/** The guide's section under a `## ` heading, up to the next one. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) return "";
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

describe("docs/deploy.md's shell blocks, checked as an operator would run them", () => {
  it("has shell blocks to check", () => {
    expect(shellBlocks(GUIDE).length).toBeGreaterThan(8);
  });

  it("runs only npm scripts, files and tools that exist, and uses only variables and secret files it kept", () => {
    expect(guideProblems(GUIDE)).toEqual([]);
  });

  it("the check catches a missing script or file, an unknown tool, an unset variable and a secret never kept", () => {
    const broken = [
      "```sh",
      "npm run deploy:edgee",
      "node infra/src/cli/gone.ts && kubeadm init",
      'echo "$K2" | npx wrangler secret put SDGATE_HMAC_KEYS',
      "openssl rand -hex 32 | npx wrangler secret put SDGATE_ADMIN_TOKEN",
      'export SDGATE_ADMIN_TOKEN="$(cat ~/.sdgate-secrets/admin-token)"',
      "```",
    ].join("\n");
    expect(guideProblems(broken)).toEqual([
      "`npm run deploy:edgee`: no npm script 'deploy:edgee'",
      "`node infra/src/cli/gone.ts && kubeadm init`: no file infra/src/cli/gone.ts",
      "`node infra/src/cli/gone.ts && kubeadm init`: 'kubeadm' is neither the project's nor a tool the guide asks for",
      '`echo "$K2" | npx wrangler secret put SDGATE_HMAC_KEYS`: $K2 is used before the guide sets it',
      '`export SDGATE_ADMIN_TOKEN="$(cat ~/.sdgate-secrets/admin-token)"`: reads ~/.sdgate-secrets/admin-token, which the guide never wrote (a secret it did not keep?)',
    ]);
  });

  it("keeps each generated secret in a file before it is put, and reads the admin token back from it", () => {
    const commands = shellBlocks(GUIDE).flatMap(guideCommands);
    const puts = commands.filter((c) => c.words.includes("secret") && c.words.includes("put"));
    expect(puts.length).toBeGreaterThanOrEqual(4);
    for (const put of puts) expect(put.reads, put.line).toHaveLength(1);
    expect(GUIDE).toContain('export SDGATE_ADMIN_TOKEN="$(cat ~/.sdgate-secrets/admin-token)"');
    expect(GUIDE).toMatch(/umask 077/);
  });

  it("adds the example stack's config to the stack file instead of copying over its secrets salt", () => {
    const commands = shellBlocks(GUIDE).flatMap(guideCommands);
    const init = commands.findIndex((c) => c.words.join(" ") === "pulumi stack init production");
    const config = commands.findIndex((c) => c.writes.includes("Pulumi.production.yaml"));
    expect(init).toBeGreaterThanOrEqual(0);
    expect(config).toBeGreaterThan(init);
    expect(commands[config]?.line).toContain(">> Pulumi.production.yaml");
    expect(commands.some((c) => c.words[0] === "cp" && c.words.includes("Pulumi.production.yaml"))).toBe(
      false,
    );
  });
});

describe("docs/deploy.md's prerequisites and first-hour troubleshooting", () => {
  const prerequisites = section(GUIDE, "Prerequisites on each cluster");

  it.each([
    ["nvidia/gpu-operator"],
    ["prometheus-community/kube-prometheus-stack"],
    ["kedacore/keda"],
    ["prometheus-community/prometheus-adapter"],
  ])("installs %s with a pinned version", (chart) => {
    const install = shellBlocks(prerequisites)
      .flatMap(guideCommands)
      .find((c) => c.words[0] === "helm" && c.words[1] === "install" && c.words[3] === chart);
    expect(install, chart).toBeDefined();
    expect(install?.words[install.words.indexOf("--version") + 1]).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  it("names the driver, Kubernetes and containerd versions the image and image volumes need", () => {
    const need = section(GUIDE, "What you need");
    expect(need).toContain("driver 580 or later");
    expect(need).toContain("Kubernetes 1.35 or later");
    expect(need).toContain("containerd 2.1");
  });

  it.each(ADD_ON_PREREQUISITES.map((p) => [p.kind, p.name]))("names the %s %s infra declares", (_, name) => {
    expect(prerequisites).toContain(`\`${name}\``);
  });

  it.each([HMAC_SECRET_NAME, MODEL_CREDENTIALS_SECRET_NAME, IMAGE_PULL_SECRET_NAME])(
    "names the Secret %s the program creates, so a missing one is not taken for a prerequisite",
    (name) => {
      expect(prerequisites).toContain(`\`${name}\``);
    },
  );

  it.each([
    "Pending",
    "ContainerCreating",
    "CreateContainerConfigError",
    "Init:CrashLoopBackOff",
    "ImagePullBackOff",
    "NvidiaDriverError",
    "not `Ready`",
    "`524`",
    "`404 model_not_found`",
  ])("explains %s in the first hour's table", (state) => {
    const table = section(GUIDE, "The first hour: what you may see");
    const row = table.split("\n").find((line) => line.startsWith("|") && line.includes(state));
    expect(row, state).toBeDefined();
  });
});

describe("docs/deploy.md's model version rollout", () => {
  const rollout = section(GUIDE, "Rolling out a new model version");
  const commands = shellBlocks(rollout)
    .flatMap(guideCommands)
    .map((c) => c.words.join(" "));

  it("checks the shell blocks inside its numbered steps too", () => {
    expect(commands.length).toBeGreaterThanOrEqual(4);
  });

  it("takes the digest with the backend's own code, then registers and promotes through the CLI", () => {
    const order = [
      "node backend/src/cli/verify-model.ts --print",
      "npm run sdgate -- registry register-version sd15 --file",
      "npm run sdgate -- registry request-promotion sd15 --alias production --to v3",
    ].map((start) => commands.findIndex((command) => command.startsWith(start)));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("names the copy Jobs, the key and the rollback as the program and the registry have them", () => {
    // The Job's name is the prefix and the digest's first 16 digits.
    expect(rollout).toContain(`\`${copyJobName("")}<first 16 digits of the digest>\``);
    expect(rollout).toContain("`sdgate:models`");
    expect(rollout).toContain("--alias production --to v2");
  });
});
