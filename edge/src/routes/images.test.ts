import { env } from "cloudflare:workers";
import { generationResponseSchema } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { parseImageId, signedImagePath } from "../cache/signed-url.ts";
import app from "../index.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { callsTo, type Envelope, uniquePrompt } from "../test-support/harness.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface UrlBody {
  data: Array<{ url: string; seed: number }>;
  output_format: string;
  model: string;
}

let key: string;
beforeAll(async () => {
  ({ key } = await seedRoomyKey());
});

async function linkFor(body: Record<string, unknown>, testEnv = fleetEnv(["healthy"])): Promise<URL> {
  const res = await post({ ...body, response_format: "url" }, key, testEnv);
  expect(res.status).toBe(200);
  const json = (await res.json()) as UrlBody;
  return new URL(json.data[0]?.url ?? "");
}

function fetchLink(url: URL | string): Promise<Response> {
  const target = typeof url === "string" ? url : `${url.pathname}${url.search}`;
  return Promise.resolve(app.request(target, {}, fleetEnv(["healthy"])));
}

describe("response_format url", () => {
  it("answers with signed links on this edge that serve the image, no API key needed", async () => {
    const testEnv = fleetEnv(["healthy"]);
    const res = await post({ prompt: uniquePrompt(), seed: 4, n: 2, response_format: "url" }, key, testEnv);
    expect(res.status).toBe(200);
    const body = (await res.json()) as UrlBody;
    expect(body.data.map((image) => image.seed)).toEqual([4, 5]);
    for (const image of body.data) {
      const url = new URL(image.url);
      expect(url.pathname).toMatch(/^\/v1\/images\/[0-9a-f]{32}-[0-9a-f]{64}-\d\.png$/);
      expect(Number(url.searchParams.get("expires"))).toBeGreaterThan(Date.now() / 1000 + 3_000);
      const served = await fetchLink(url);
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toBe("image/png");
      expect(served.headers.get("cache-control")).toMatch(/^private, max-age=\d+/);
      expect([...new Uint8Array(await served.arrayBuffer()).slice(0, 8)]).toEqual(PNG_SIGNATURE);
    }
  });

  it("links to the same bytes a b64_json answer carries, and a url request replays from the cache", async () => {
    const testEnv = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 8, output_format: "webp" };
    const b64 = generationResponseSchema.parse(await (await post(body, key, testEnv)).json());
    const res = await post({ ...body, response_format: "url" }, key, testEnv);
    expect(res.headers.get("X-Cache")).toBe("HIT");
    const link = new URL(((await res.json()) as UrlBody).data[0]?.url ?? "");
    const served = await fetchLink(link);
    expect(served.headers.get("content-type")).toBe("image/webp");
    const bytes = new Uint8Array(await served.arrayBuffer());
    expect(btoa(String.fromCharCode(...bytes))).toBe(b64.data[0]?.b64_json);
    expect(await callsTo("healthy", body.prompt)).toHaveLength(1);
  });

  it("is refused with a 400 naming response_format when the edge has no signing key", async () => {
    const { SDGATE_URL_SIGNING_KEY: _, ...withoutKey } = fleetEnv(["healthy"]);
    const res = await post({ prompt: uniquePrompt(), response_format: "url" }, key, withoutKey);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Envelope).error.param).toBe("response_format");
  });
});

describe("image links: security", () => {
  async function expectNotFound(res: Response, message: RegExp) {
    expect(res.status).toBe(404);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toMatch(message);
  }

  it("refuses an expired link", async () => {
    const link = await linkFor({ prompt: uniquePrompt(), seed: 1 });
    const id = parseImageId(link.pathname.split("/").at(-1) ?? "");
    if (!id) throw new Error("no id");
    const expired = await signedImagePath(
      env.SDGATE_URL_SIGNING_KEY ?? "",
      id,
      Math.floor(Date.now() / 1000) - 1,
    );
    await expectNotFound(await fetchLink(expired), /expired/);
  });

  it("refuses a forged or altered link", async () => {
    const link = await linkFor({ prompt: uniquePrompt(), seed: 2 });
    const sig = link.searchParams.get("sig") ?? "";
    const flipped = `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    const later = String(Number(link.searchParams.get("expires")) + 3_600);
    const [, , , id] = link.pathname.split("/");
    const otherTenant = `${"0".repeat(32)}${id?.slice(32)}`;
    const forged = [
      `${link.pathname}?expires=${link.searchParams.get("expires")}&sig=${flipped}`,
      `${link.pathname}?expires=${later}&sig=${sig}`,
      `/v1/images/${otherTenant}${link.search}`,
      `${link.pathname}?expires=${link.searchParams.get("expires")}`,
      `${link.pathname}?sig=${sig}`,
      link.pathname,
    ];
    for (const path of forged) await expectNotFound(await fetchLink(path), /signature|No such image/);
  });

  it("signs with the edge's secret only: a link signed with another key is refused", async () => {
    const link = await linkFor({ prompt: uniquePrompt(), seed: 3 });
    const id = parseImageId(link.pathname.split("/").at(-1) ?? "");
    if (!id) throw new Error("no id");
    const path = await signedImagePath(
      "an-attacker-secret-of-enough-length-000",
      id,
      Math.floor(Date.now() / 1000) + 60,
    );
    await expectNotFound(await fetchLink(path), /signature/);
  });

  it("answers junk and path tricks with a 404 envelope, never a 5xx", async () => {
    for (const path of [
      "/v1/images/..%2F..%2Fgen",
      "/v1/images/%00",
      "/v1/images/abc.png?expires=1&sig=x",
      `/v1/images/${"a".repeat(32)}-${"b".repeat(64)}-99.png?expires=99999999999&sig=${"A".repeat(43)}`,
      `/v1/images/${"a".repeat(32)}-${"b".repeat(64)}-0.exe?expires=1&sig=x`,
    ]) {
      const res = await fetchLink(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as Envelope).error.code).toBe("not_found");
    }
  });
});
