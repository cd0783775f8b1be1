import { type GenerationRequest, generationRequestSchema } from "./generation-request.ts";

/** The four ways to run a generation that the Studio offers to copy. */
export const SNIPPET_KINDS = ["curl", "sdk", "openai", "cli"] as const;
export type SnippetKind = (typeof SNIPPET_KINDS)[number];

/** One snippet: what to call it, how to highlight it, the file it reads well in, and its text. */
export interface CodeSnippet {
  label: string;
  language: "bash" | "typescript";
  /** A file name to save it as and run it from (`bash generate.sh`, `node generate.ts`). */
  fileName: string;
  code: string;
  /** The request's fields this snippet cannot send (only the CLI has any); said in a comment too. */
  omittedFields: string[];
}

export interface CopyAsCodeOptions {
  /** The edge's origin, e.g. `https://images.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** The environment variable holding the API key; the key itself never goes into a snippet. */
  apiKeyVariable?: string;
}

/** A request the snippets can reproduce: its seed fixed, so every snippet makes the same image. */
export type ReproducibleRequest = GenerationRequest & { seed: number };

const FIELD_ORDER = Object.keys(generationRequestSchema.shape) as (keyof GenerationRequest)[];
/** Fields openai-node's `ImageGenerateParams` types as sdgate reads them; the rest are sdgate's own. */
const OPENAI_TYPED_FIELDS: ReadonlySet<string> = new Set(["model", "prompt", "n", "user"]);
/** The CLI's flags for body fields (cli/src/commands/generate.ts); `size` is handled on its own. */
const CLI_FLAGS: Readonly<Partial<Record<keyof GenerationRequest, string>>> = {
  model: "model",
  negative_prompt: "negative",
  n: "n",
  steps: "steps",
  guidance_scale: "guidance",
  scheduler: "scheduler",
  seed: "seed",
  clip_skip: "clip-skip",
  hires_scale: "hires-scale",
  hires_strength: "hires-strength",
  output_format: "format",
};

/** A field's value: a scalar, or the JSON of `lora` and `controlnet`. */
type FieldValue = NonNullable<GenerationRequest[keyof GenerationRequest]>;
type Field = [name: string, value: FieldValue];

/**
 * The request's fields in the contract's order, without the ones it leaves to the server's defaults.
 * `response_format` is always `b64_json`: each snippet writes the image's bytes from the answer.
 */
function fieldsOf(request: ReproducibleRequest): Field[] {
  const fields: Field[] = [];
  for (const name of FIELD_ORDER) {
    if (name === "response_format") continue;
    const value = request[name];
    // `refiner: null` says "no refiner", as leaving it out does
    if (value !== undefined && value !== null) fields.push([name, value]);
  }
  fields.push(["response_format", "b64_json"]);
  return fields;
}

/**
 * A POSIX shell word for any text: bare when it holds only characters no shell treats specially,
 * otherwise single-quoted, where nothing (`$`, backticks, `\`, newlines) is special but `'` itself.
 *
 * @example
 * shellQuote("it's $HOME"); // 'it'\''s $HOME'
 */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A TypeScript literal: JSON's values are JavaScript's (ES2019 allows U+2028 in strings). */
function literal(value: FieldValue): string {
  return JSON.stringify(value);
}

function objectLiteral(fields: Field[], indent: string): string {
  return fields.map(([name, value]) => `${indent}${name}: ${literal(value)},`).join("\n");
}

function imageFileName(request: ReproducibleRequest): string {
  const format = request.output_format ?? "png";
  return `image.${format === "jpeg" ? "jpg" : format}`;
}

/** Writes each image as the CLI does: `image.png`, `image-1.png`, …. */
function writeImagesLoop(data: string, file: string, b64: string): string {
  const dot = file.lastIndexOf(".");
  const [stem, extension] = [file.slice(0, dot), file.slice(dot)];
  return [
    `for (const [index, image] of ${data}.entries()) {`,
    `  const file = index === 0 ? ${literal(file)} : \`${stem}-\${index}${extension}\`;`,
    `  await writeFile(file, Buffer.from(${b64}, "base64"));`,
    "}",
  ].join("\n");
}

function apiKeyCheck(variable: string): string {
  return [
    `const apiKey = process.env.${variable};`,
    `if (!apiKey) throw new Error("Set ${variable} to your sdgate API key.");`,
  ].join("\n");
}

function curlSnippet(request: ReproducibleRequest, baseUrl: string, variable: string): string {
  const file = imageFileName(request);
  const body = Object.fromEntries(fieldsOf(request));
  const count = request.n ?? 1;
  return [
    `# Writes ${file}${count > 1 ? ` (the first of ${count} images)` : ""}: the answer's data[0].b64_json, decoded`,
    "# with jq and base64 (both on most machines: apt install jq, brew install jq).",
    `curl -sS --fail-with-body ${shellQuote(`${baseUrl}/v1/images/generations`)} \\`,
    `  -H "Authorization: Bearer $${variable}" \\`,
    "  -H 'Content-Type: application/json' \\",
    `  --data-binary @- <<'JSON' | jq -er '.data[0].b64_json' | base64 --decode > ${shellQuote(file)}`,
    // JSON.stringify escapes newlines inside strings, so no line of the body can be the word JSON.
    JSON.stringify(body, null, 2),
    "JSON",
    "",
  ].join("\n");
}

function sdkSnippet(request: ReproducibleRequest, baseUrl: string, variable: string): string {
  return [
    'import { writeFile } from "node:fs/promises";',
    'import { Sdgate } from "@sdgate/sdk";',
    "",
    apiKeyCheck(variable),
    `const client = new Sdgate({ baseUrl: ${literal(baseUrl)}, apiKey });`,
    "const { response } = await client.images.generate({",
    objectLiteral(fieldsOf(request), "  "),
    "});",
    writeImagesLoop("response.data", imageFileName(request), "image.b64_json"),
    "",
  ].join("\n");
}

function openaiSnippet(request: ReproducibleRequest, baseUrl: string, variable: string): string {
  const fields = fieldsOf(request);
  const typed = fields.filter(([name]) => OPENAI_TYPED_FIELDS.has(name) || name === "response_format");
  const own = fields.filter(([name]) => !OPENAI_TYPED_FIELDS.has(name) && name !== "response_format");
  // openai-node sends fields its types do not know as they are (its README, "Undocumented request
  // params"); its `@ts-expect-error` advice covers one field only, since TypeScript reports just the
  // first unknown property of a literal, so sdgate's fields travel in a spread object instead.
  const ownObject =
    own.length === 0
      ? []
      : [
          "// sdgate's own fields (and sizes and formats OpenAI does not list): the SDK sends them as they are.",
          "const sdgateFields: Record<string, unknown> = {",
          objectLiteral(own, "  "),
          "};",
        ];
  return [
    'import { writeFile } from "node:fs/promises";',
    'import OpenAI from "openai";',
    "",
    apiKeyCheck(variable),
    `const client = new OpenAI({ baseURL: ${literal(`${baseUrl}/v1`)}, apiKey });`,
    ...ownObject,
    "const result = await client.images.generate({",
    objectLiteral(typed, "  "),
    ...(own.length === 0 ? [] : ["  ...sdgateFields,"]),
    "});",
    writeImagesLoop("(result.data ?? [])", imageFileName(request), 'image.b64_json ?? ""'),
    "",
  ].join("\n");
}

/** The CLI's `--size` when the request names one, or both sides; `null` when it cannot say it. */
function cliSize(request: ReproducibleRequest): string | null {
  if (request.size !== undefined) return request.size;
  if (request.width !== undefined && request.height !== undefined)
    return `${request.width}x${request.height}`;
  return null;
}

function cliSnippet(
  request: ReproducibleRequest,
  baseUrl: string,
  variable: string,
): { code: string; omitted: string[] } {
  const args = [`--url=${shellQuote(baseUrl)}`];
  const omitted: string[] = [];
  const size = cliSize(request);
  if (size !== null) args.push(`--size=${shellQuote(size)}`);
  for (const [name, value] of fieldsOf(request)) {
    if (name === "prompt" || name === "response_format") continue;
    if (name === "size" || name === "width" || name === "height") {
      if (size === null) omitted.push(name);
      continue;
    }
    const flag = CLI_FLAGS[name as keyof GenerationRequest];
    if (flag === undefined) omitted.push(name);
    // `--flag=value`: the value may start with `-`, which parseArgs would take for another option.
    else args.push(`--${flag}=${shellQuote(String(value))}`);
  }
  const env = variable === "SDGATE_API_KEY" ? "" : `SDGATE_API_KEY="$${variable}" `;
  const comments = [
    "# The sdgate CLI, from a checkout of sdgate (`npm install` there); `--no` keeps npx from",
    "# downloading another package of that name. It reads the key from $SDGATE_API_KEY.",
  ];
  const output = `-o ${shellQuote(imageFileName(request))}`;
  if (omitted.length > 0) {
    // Some fields have no flag: the whole request goes in as the body, read from the lines below.
    const body = Object.fromEntries(fieldsOf(request).filter(([name]) => name !== "response_format"));
    return {
      code: [
        ...comments,
        `# ${omitted.join(", ")} ${omitted.length === 1 ? "has" : "have"} no flag, so the request goes in whole (--body).`,
        `${env}npx --no sdgate generate --url=${shellQuote(baseUrl)} --body=/dev/stdin ${output} <<'JSON'`,
        // JSON.stringify escapes newlines inside strings, so no line of the body can be the word JSON.
        JSON.stringify(body, null, 2),
        "JSON",
        "",
      ].join("\n"),
      omitted: [],
    };
  }
  // `--` ends the options, so a prompt starting with `-` stays the prompt.
  args.push(output, "--", shellQuote(request.prompt));
  return { code: [...comments, `${env}npx --no sdgate generate ${args.join(" ")}`, ""].join("\n"), omitted };
}

/**
 * Snippets that make the same image as a request (its seed fixed): curl with jq, the sdgate SDK, the
 * official `openai` SDK and the sdgate CLI. The key is read from an environment variable, never
 * written into the code; every string is quoted for its language, whatever it holds.
 *
 * @example
 * const { curl } = copyAsCode({ prompt: "a lighthouse", seed: 42 }, { baseUrl: "https://images.example.com" });
 * navigator.clipboard.writeText(curl.code);
 */
export function copyAsCode(
  request: ReproducibleRequest,
  options: CopyAsCodeOptions,
): Record<SnippetKind, CodeSnippet> {
  const variable = options.apiKeyVariable ?? "SDGATE_API_KEY";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
    throw new TypeError(
      `copyAsCode: apiKeyVariable must be an environment variable name, got '${variable}'.`,
    );
  const url = new URL(options.baseUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new TypeError(`copyAsCode: baseUrl must be an http:// or https:// URL, got '${options.baseUrl}'.`);
  const baseUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  const cli = cliSnippet(request, baseUrl, variable);
  return {
    curl: {
      label: "curl",
      language: "bash",
      fileName: "generate.sh",
      code: curlSnippet(request, baseUrl, variable),
      omittedFields: [],
    },
    sdk: {
      label: "TypeScript (@sdgate/sdk)",
      language: "typescript",
      fileName: "generate-sdk.ts",
      code: sdkSnippet(request, baseUrl, variable),
      omittedFields: [],
    },
    openai: {
      label: "TypeScript (openai)",
      language: "typescript",
      fileName: "generate-openai.ts",
      code: openaiSnippet(request, baseUrl, variable),
      omittedFields: [],
    },
    cli: {
      label: "sdgate CLI",
      language: "bash",
      fileName: "generate-cli.sh",
      code: cli.code,
      omittedFields: cli.omitted,
    },
  };
}
