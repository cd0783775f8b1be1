/**
 * A seeded generator of hostile requests for every public and admin route of the edge: prompts built
 * from A1111's grammar (deep and unbalanced nesting, editing, alternation, AND, BREAK, huge weights,
 * control and bidirectional characters, 4,000-character prompts), malformed input images and masks,
 * malformed JSON and header abuse. The same seed gives the same requests, so a failure replays.
 */

export { seededRandom } from "@sdgate/shared/testing";

export interface Fuzzer {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function fuzzer(random: () => number): Fuzzer {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return {
    int,
    pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)] as T,
    chance: (probability: number) => random() < probability,
  };
}

/** A request as the fuzz sends it: `auth` says which credential (or none) goes in `Authorization`. */
export interface HostileRequest {
  method: string;
  path: string;
  auth: "key" | "admin" | "none" | "garbage";
  headers: Record<string, string>;
  body?: string;
  /** What the request is, for the failure message. */
  label: string;
}

const WORDS = [
  "a",
  "castle",
  "dragon",
  "BLACK",
  "AND",
  "white",
  "BREAK",
  "and",
  "fish &amp; chips",
  "&#x27;",
  "🌊",
];
const STRANGE = [
  "\u0000",
  "\u0007",
  "\u001b[31m",
  "\u202e",
  "\u2066",
  "\u200b",
  "\ufeff",
  "\ud800",
  "\udfff",
  "\r\n",
  "\t",
];
const NUMBERS = ["1.5", "0", "-2", "1e308", "-1e309", "1.2.3", ".", "NaN", "0.5", "10", "99999999999", "+.5"];

/** One piece of prompt grammar, nested up to `depth`. */
function fragment(f: Fuzzer, depth: number): string {
  const inner = () => (depth > 0 ? fragment(f, depth - 1) : f.pick(WORDS));
  switch (f.int(0, 13)) {
    case 0:
      return `(${inner()})`;
    case 1:
      return `[${inner()}]`;
    case 2:
      return `(${inner()}:${f.pick(NUMBERS)})`;
    case 3:
      return `[${inner()}:${inner()}:${f.pick(NUMBERS)}]`;
    case 4:
      return `[${inner()}:${f.pick(NUMBERS)}]`;
    case 5:
      return `[${inner()}|${inner()}|${inner()}]`;
    case 6:
      return `${inner()} AND ${inner()} :${f.pick(NUMBERS)}`;
    case 7:
      return `${inner()} BREAK ${inner()}`;
    case 8:
      // More closers than openers: a stray opener stays open to the end and deepens the nesting.
      return f.pick(["(", ")", ")", "[", "]", "]", ":", "|", "\\", "\\(", "\\\\"]);
    case 9:
      return f.pick(STRANGE);
    case 10:
      return `${inner()}\\${f.pick(["(", ")", "[", "]", ""])}`;
    default:
      return `${inner()} ${inner()}`;
  }
}

/** Long runs that once made parsers quadratic or overflowed their stacks. */
function pathological(f: Fuzzer): string {
  const n = f.int(500, 3_999);
  // Half of them nest (refused at the edge past 64 deep), half go through to the backends' parsers.
  const unit = f.chance(0.5)
    ? f.pick(["(", "[", "[a:", "(a:", "[a|", "(["])
    : f.pick(["\\", " ", "AND ", "BREAK ", "a:", "|", ")", "]", ":0.5 ", "&amp;", "\u202e"]);
  const head = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  return f.chance(0.5) ? head : `${head}${f.pick(["x", "x:1.1)", ":0.5]", "|"])}`;
}

export function hostilePrompt(f: Fuzzer): string {
  if (f.chance(0.2)) return pathological(f);
  let prompt = "";
  const target = f.pick([10, 80, 400, 2_000, 4_000]);
  while (prompt.length < target) prompt += fragment(f, f.int(0, 4));
  // Mostly within the limit; sometimes just over it (a 400 naming prompt).
  return prompt.slice(0, f.chance(0.9) ? 4_000 : 4_001 + f.int(0, 50));
}

/** Base64 of images that are not what they claim, too large, or not images at all. */
export function hostileImage(f: Fuzzer, validPng: string): string {
  const bytes = (text: string) => Buffer.from(text, "binary").toString("base64");
  const pngHeader = (width: number, height: number) => {
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
    header.writeUInt32BE(13, 8);
    header.write("IHDR", 12, "latin1");
    header.writeUInt32BE(width, 16);
    header.writeUInt32BE(height, 20);
    header.set([8, 2, 0, 0, 0], 24);
    return header.toString("base64");
  };
  switch (f.int(0, 11)) {
    case 0:
      return validPng;
    case 1:
      return `data:image/png;base64,${validPng}`;
    case 2:
      return pngHeader(100_000, 100_000);
    case 3:
      return pngHeader(0, 0);
    case 4:
      return bytes("GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;");
    case 5:
      return `data:image/svg+xml;base64,${bytes('<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>')}`;
    case 6:
      return bytes("II*\u0000\u0008\u0000\u0000\u0000");
    case 7:
      return bytes("\u00ff\u00d8\u00ff\u00e0");
    case 8:
      return validPng.slice(0, f.int(4, validPng.length - 4));
    case 9:
      return bytes("%PDF-1.7\n");
    case 10:
      return "!!!not base64!!!";
    default:
      return Buffer.from(Array.from({ length: f.int(1, 256) }, () => f.int(0, 255))).toString("base64");
  }
}

/**
 * A generation body, cheap to run (the tiny model, small sizes): its prompts and images hostile, and
 * in the rest (two in five) its other fields too: wrong types, out of range, unknown names.
 */
function generationBody(f: Fuzzer, validPng: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    prompt: hostilePrompt(f),
    size: f.pick(["64x64", "64x128", "128x64"]),
  };
  body.steps = f.int(1, 3);
  if (f.chance(0.3)) body.negative_prompt = hostilePrompt(f);
  if (f.chance(0.3)) body.seed = f.int(0, 1_000);
  if (f.chance(0.2)) body.image = hostileImage(f, validPng);
  if (f.chance(0.1)) body.mask = hostileImage(f, validPng);
  if (f.chance(0.6)) return body;
  if (f.chance(0.1))
    body.scheduler = f.pick(["euler", "DPM++ 2M Karras", "dpmpp_2m karras", "unknown", "ddim"]);
  if (f.chance(0.1)) body.n = f.pick([1, 2, 0, -1, 11, 1.5, "2"]);
  if (f.chance(0.1)) body.guidance_scale = f.pick([0, 1, 7.5, 31, -1, "7"]);
  if (f.chance(0.1)) body.clip_skip = f.pick([1, 2, 0, 24]);
  if (f.chance(0.05)) body.hires_scale = f.pick([1.5, 2, 100, 1]);
  if (f.chance(0.1)) body.width = f.pick([7, 64, 65, 1e9, -8]);
  if (f.chance(0.1)) body.steps = f.pick([0, 151, 1e9, 2.5, "3"]);
  if (f.chance(0.05)) body.output_format = f.pick(["png", "webp", "jpeg", "avif", "svg", "gif"]);
  if (f.chance(0.05)) body.response_format = f.pick(["b64_json", "url", "html"]);
  if (f.chance(0.05)) body.rng = f.pick(["torch_cpu", "philox", "nv", ""]);
  if (f.chance(0.05)) body.strength = f.pick([0, 0.5, 1, 2]);
  if (f.chance(0.05))
    body[f.pick(["__proto__", "constructor", "promt", "model"])] = f.pick(["x", {}, [], null, "tiny"]);
  // The model registry's references: aliases, pins, and what only looks like them.
  if (f.chance(0.1)) body.model = f.pick(HOSTILE_MODEL_REFS);
  return body;
}

const HOSTILE_MODEL_REFS = [
  "tiny@production",
  "tiny@v1",
  "tiny@v0",
  "tiny@V1",
  "tiny@v01",
  "tiny@v99999999999",
  "tiny@",
  "@production",
  "tiny@@production",
  "tiny@production@v1",
  `tiny@${"x".repeat(40)}`,
  "x".repeat(200),
  "TINY",
  "ti ny",
  "tïny@production",
  "tiny@production\u0000",
  "../tiny",
  "tiny@staging",
  "tiny@canary",
  "nobody@production",
];

/** JSON that is not a generation body: wrong types, deep nesting, not JSON at all. */
function brokenJson(f: Fuzzer): string {
  switch (f.int(0, 6)) {
    case 0:
      return "[".repeat(f.int(1_000, 100_000));
    case 1:
      return `{"prompt": ${"[".repeat(5_000)}`;
    case 2:
      return "";
    case 3:
      return '{"prompt": "unterminated';
    case 4:
      return JSON.stringify([{ prompt: "array" }]);
    case 5:
      return "\u0000\u0001\u0002";
    default:
      return JSON.stringify({ prompt: { toString: "x" }, n: { $gt: 1 } });
  }
}

const ADMIN_ROUTES: Array<[string, string]> = [
  ["GET", "/admin/keys"],
  ["POST", "/admin/keys"],
  ["GET", "/admin/keys/key_doesnotexist"],
  ["PATCH", "/admin/keys/key_doesnotexist"],
  ["DELETE", "/admin/keys/key_doesnotexist"],
  ["POST", "/admin/keys/key_doesnotexist/rotate"],
  ["GET", "/admin/backends"],
  ["GET", "/admin/audit"],
  ["GET", "/admin/audit/verify"],
  ["GET", "/admin/usage"],
  ["GET", "/admin/models"],
  ["GET", "/admin/models/tiny/aliases"],
  ["GET", "/admin/models/tiny/aliases/production/history"],
  ["GET", "/admin/models/tiny/aliases/production/split"],
  ["GET", "/admin/models/tiny/policies"],
  ["GET", "/admin/models/tiny/evaluations"],
  ["GET", "/admin/models/nobody/versions"],
  ["POST", "/admin/promotions/prm_0123456789abcdef/approve"],
  ["GET", "/admin/evaluations/evl_0123456789abcdef"],
];

const PUBLIC_ROUTES: Array<[string, string]> = [
  ["GET", "/v1/models"],
  ["POST", "/v1/estimate"],
  ["GET", "/v1/jobs/job_0123456789abcdef0123456789abcdef"],
  ["GET", "/v1/jobs/job_0123456789abcdef0123456789abcdef/events"],
  ["POST", "/v1/jobs/job_0123456789abcdef0123456789abcdef/cancel"],
  ["GET", "/v1/webhooks/secret"],
  ["GET", "/openapi.json"],
  ["GET", "/healthz"],
  ["GET", "/v1/images/0123456789abcdef0123456789abcdef-0-0.png"],
];

function hostileQuery(f: Fuzzer): string {
  const values = ["", "-1", "0", "1e309", "abc", "%00", "%ZZ", "x".repeat(3_000), "2026-13-45", "key_x'--"];
  const names = [
    "limit",
    "before",
    "key_id",
    "from",
    "to",
    "interval",
    "group_by",
    "after_seq",
    "exp",
    "sig",
  ];
  const pairs = Array.from({ length: f.int(0, 4) }, () => `${f.pick(names)}=${f.pick(values)}`);
  return pairs.length === 0 ? "" : `?${pairs.join("&")}`;
}

function hostileHeaders(f: Fuzzer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (f.chance(0.15))
    headers["content-type"] = f.pick([
      "text/plain",
      "application/json; charset=utf-16",
      "multipart/form-data",
      "",
    ]);
  if (f.chance(0.1)) headers.prefer = f.pick(["respond-async", "respond-async, wait=1", "x".repeat(4_000)]);
  if (f.chance(0.1))
    headers["cache-control"] = f.pick([
      "no-cache",
      "no-store",
      "max-age=-1",
      "no-cache, no-store, max-age=abc",
    ]);
  if (f.chance(0.1)) headers["idempotency-key"] = f.pick(["k", "x".repeat(300), "\u00ff\u00fe", "same-key"]);
  if (f.chance(0.05))
    headers["sdgate-webhook-url"] = f.pick([
      "https://localhost./",
      "http://127.0.0.1/",
      "https://[::1]/",
      "https://169.254.169.254/",
      "javascript:alert(1)",
    ]);
  if (f.chance(0.05)) headers["sdgate-preview-every"] = f.pick(["0", "-1", "1e9", "x"]);
  if (f.chance(0.05)) headers["last-event-id"] = f.pick(["0", "-5", "9".repeat(40), "abc"]);
  if (f.chance(0.05)) headers["x-request-id"] = f.pick(["x".repeat(500), "a b", "../../etc/passwd"]);
  if (f.chance(0.05))
    headers["cf-connecting-ip"] = f.pick(["10.0.0.1", "::1", "not-an-ip", "1.2.3.4, 5.6.7.8"]);
  if (f.chance(0.05)) headers["x-sdgate-tenant"] = "someone-else";
  if (f.chance(0.03)) headers["x-filler"] = "y".repeat(f.int(1_000, 16_000));
  return headers;
}

/**
 * The `index`-th hostile request of a run: about three quarters generations (where prompts and images
 * reach the backends), the rest every other route, with hostile queries, bodies and headers.
 */
export function hostileRequest(f: Fuzzer, validPng: string, index: number): HostileRequest {
  const auth = f.chance(0.9) ? "key" : f.pick(["none", "garbage"] as const);
  const headers = hostileHeaders(f);
  if (f.chance(0.75)) {
    const broken = f.chance(0.08);
    const body = broken ? brokenJson(f) : JSON.stringify(generationBody(f, validPng));
    return {
      method: "POST",
      path: "/v1/images/generations",
      auth,
      headers: { "content-type": "application/json", ...headers },
      body,
      label: `#${index} generation${broken ? " (broken JSON)" : ""}`,
    };
  }
  const admin = f.chance(0.4);
  const [method, path] = f.pick(admin ? ADMIN_ROUTES : PUBLIC_ROUTES);
  const body =
    method === "GET" || method === "DELETE"
      ? undefined
      : f.chance(0.5)
        ? brokenJson(f)
        : JSON.stringify(
            f.chance(0.5)
              ? generationBody(f, validPng)
              : {
                  name: hostilePrompt(f).slice(0, 300),
                  scopes: [f.pick(["generate", "admin", "read", "root"])],
                  rate_limit: f.pick([-1, 1e12, "x"]),
                },
          );
  return {
    method: f.chance(0.05) ? f.pick(["PUT", "OPTIONS", "PATCH", "DELETE"]) : method,
    path: `${path}${hostileQuery(f)}`,
    auth: admin ? f.pick(["admin", "admin", "key", "none", "garbage"] as const) : auth,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body }),
    label: `#${index} ${method} ${path}`,
  };
}
