import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { copyAsCode, type ReproducibleRequest, shellQuote } from "./copy-as-code.ts";

const AWKWARD = `it's a "test" $(touch /tmp/pwned) \`id\` $HOME \\n\nsecond line 🦊 ünïcode -x`;
const BASE_URL = "https://images.example.com/";
const REQUEST: ReproducibleRequest = {
  model: "tiny",
  prompt: AWKWARD,
  negative_prompt: "-blurry, 'low' $quality",
  size: "64x64",
  steps: 2,
  guidance_scale: 7.5,
  seed: 42,
  rng: "philox",
  user: "studio",
};

/** The arguments bash hands a command for a line of shell: what a snippet's quoting really means. */
function argvOf(script: string, command: string): string[] {
  const out = execFileSync("bash", ["--norc", "-c", `${command}() { printf '%s\\0' "$@"; }\n${script}`], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", SDGATE_API_KEY: "sk_test" },
  });
  return out.split("\0").slice(0, -1);
}

describe("shellQuote", () => {
  it("gives bash back the exact text, whatever it holds", () => {
    const texts = [
      AWKWARD,
      "plain",
      "",
      "'",
      "''",
      "a'b'c",
      "$(x)",
      "`x`",
      "\\",
      "\n",
      "-n",
      "*",
      "~",
      "a b",
    ];
    const script = `args ${texts.map(shellQuote).join(" ")}`;
    expect(argvOf(script, "args")).toEqual(texts);
  });

  it("leaves words the shell cannot misread bare", () => {
    expect(shellQuote("64x64")).toBe("64x64");
    expect(shellQuote("http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
    expect(shellQuote("a b")).toBe("'a b'");
  });
});

describe("copyAsCode", () => {
  const snippets = copyAsCode(REQUEST, { baseUrl: BASE_URL });

  it("curl sends the request's fields as JSON in a quoted heredoc and decodes data[0] into image.png", () => {
    const { code } = snippets.curl;
    expect(code).toContain("jq -er '.data[0].b64_json' | base64 --decode > image.png");
    expect(code).toMatch(/# .*jq and base64/);
    expect(code).toContain("curl -sS --fail-with-body https://images.example.com/v1/images/generations");
    expect(code).toContain('-H "Authorization: Bearer $SDGATE_API_KEY"');
    const body = code.slice(code.indexOf("<<'JSON'") + 1).match(/\n(\{[\s\S]*\})\nJSON\n$/)?.[1];
    expect(JSON.parse(body ?? "null")).toEqual({ ...REQUEST, response_format: "b64_json" });
  });

  it("curl's heredoc reaches curl unchanged", () => {
    const script = snippets.curl.code.replace(/ \| jq[^\n]*/, "");
    const sent = execFileSync("bash", ["--norc", "-c", `curl() { cat; }\n${script}`], {
      encoding: "utf8",
      env: {},
    });
    expect(JSON.parse(sent)).toEqual({ ...REQUEST, response_format: "b64_json" });
  });

  it("the SDK snippet passes every field to images.generate and writes image.png", () => {
    const { code } = snippets.sdk;
    expect(code).toContain('import { Sdgate } from "@sdgate/sdk";');
    expect(code).toContain("const apiKey = process.env.SDGATE_API_KEY;");
    expect(code).toContain('new Sdgate({ baseUrl: "https://images.example.com", apiKey })');
    expect(code).toContain(`  prompt: ${JSON.stringify(AWKWARD)},\n`);
    expect(code).toContain('  seed: 42,\n  rng: "philox",\n');
    expect(code).toContain('  response_format: "b64_json",\n');
    expect(code).toMatch(/const file = index === 0 \? "image\.png" : `image-\$\{index\}\.png`;/);
    expect(code).not.toContain("sk_");
  });

  it("the openai snippet types OpenAI's fields and sends sdgate's own beside them", () => {
    const { code } = snippets.openai;
    expect(code).toContain('new OpenAI({ baseURL: "https://images.example.com/v1", apiKey })');
    const own = code.match(/const sdgateFields: Record<string, unknown> = \{\n([\s\S]*?)\n\};/)?.[1];
    expect(own?.split("\n").map((line) => line.trim().split(":")[0])).toEqual([
      "negative_prompt",
      "size",
      "steps",
      "guidance_scale",
      "seed",
      "rng",
    ]);
    const call = code.match(/images\.generate\(\{\n([\s\S]*?)\n\}\);/)?.[1];
    expect(call).toBe(
      `  model: "tiny",\n  prompt: ${JSON.stringify(AWKWARD)},\n  user: "studio",\n  response_format: "b64_json",\n  ...sdgateFields,`,
    );
  });

  it("the CLI snippet gives the CLI each field as one argument", () => {
    const { rng: _rng, user: _user, ...flagged } = REQUEST;
    const { code, omittedFields } = copyAsCode(flagged, { baseUrl: BASE_URL }).cli;
    expect(omittedFields).toEqual([]);
    expect(argvOf(code, "npx")).toEqual([
      "--no",
      "sdgate",
      "generate",
      "--url=https://images.example.com",
      "--size=64x64",
      "--model=tiny",
      "--negative=-blurry, 'low' $quality",
      "--steps=2",
      "--guidance=7.5",
      "--seed=42",
      "-o",
      "image.png",
      "--",
      AWKWARD,
    ]);
  });

  it("the CLI snippet sends the request whole (--body) when a field has no flag, and omits nothing", () => {
    const { code, omittedFields } = snippets.cli;
    expect(omittedFields).toEqual([]);
    expect(code).toContain("# rng, user have no flag, so the request goes in whole (--body).");
    expect(code).toContain(
      "npx --no sdgate generate --url=https://images.example.com --body=/dev/stdin -o image.png <<'JSON'",
    );
    const body = code.slice(code.indexOf("<<'JSON'\n") + 9, code.lastIndexOf("\nJSON"));
    const { response_format: _format, ...fields } = REQUEST as Record<string, unknown>;
    expect(JSON.parse(body)).toEqual(fields);
  });

  it("leaves out the fields a request leaves to the defaults", () => {
    const bare = copyAsCode({ prompt: "a fox", seed: 7 }, { baseUrl: "http://127.0.0.1:8787" });
    expect(bare.sdk.code).toContain(
      'images.generate({\n  prompt: "a fox",\n  seed: 7,\n  response_format: "b64_json",\n});',
    );
    expect(bare.openai.code).toContain("sdgateFields: Record<string, unknown> = {\n  seed: 7,\n};");
    expect(bare.openai.code).toContain(
      '  prompt: "a fox",\n  response_format: "b64_json",\n  ...sdgateFields,\n});',
    );
    expect(bare.cli.omittedFields).toEqual([]);
    expect(bare.cli.code).not.toContain("no flag");
    expect(argvOf(bare.cli.code, "npx").slice(3)).toEqual([
      "--url=http://127.0.0.1:8787",
      "--seed=7",
      "-o",
      "image.png",
      "--",
      "a fox",
    ]);
  });

  it("names the file for the format, gives the CLI both sides as --size, and reads another key variable", () => {
    const webp = copyAsCode(
      { prompt: "a fox", seed: 1, width: 64, height: 96, output_format: "jpeg", n: 2 },
      { baseUrl: "http://localhost:8787/prefix/", apiKeyVariable: "MY_KEY" },
    );
    expect(webp.curl.code).toContain("> image.jpg");
    expect(webp.curl.code).toContain("(the first of 2 images)");
    expect(webp.curl.code).toContain('"Authorization: Bearer $MY_KEY"');
    expect(webp.curl.code).toContain("http://localhost:8787/prefix/v1/images/generations");
    expect(webp.sdk.code).toContain("process.env.MY_KEY");
    expect(webp.sdk.code).toContain('baseUrl: "http://localhost:8787/prefix"');
    expect(webp.cli.code).toContain('SDGATE_API_KEY="$MY_KEY" npx --no sdgate generate');
    const argv = argvOf(webp.cli.code, "npx");
    expect(argv).toContain("--size=64x96");
    expect(argv).toContain("--format=jpeg");
    expect(argv).toContain("image.jpg");
    expect(webp.cli.omittedFields).toEqual([]);
    const oneSide = copyAsCode({ prompt: "a fox", seed: 1, width: 64 }, { baseUrl: BASE_URL });
    expect(oneSide.cli.omittedFields).toEqual([]);
    expect(oneSide.cli.code).toContain("# width has no flag");
  });

  it("refuses a key variable that is not a name and a base URL that is not http(s)", () => {
    expect(() => copyAsCode(REQUEST, { baseUrl: BASE_URL, apiKeyVariable: "$(id)" })).toThrow(
      /apiKeyVariable/,
    );
    expect(() => copyAsCode(REQUEST, { baseUrl: "file:///etc" })).toThrow(/baseUrl/);
    expect(() => copyAsCode(REQUEST, { baseUrl: "not a url" })).toThrow(TypeError);
  });
});
