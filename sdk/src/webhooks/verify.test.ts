import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SdgateWebhookError } from "../errors/webhook-error.ts";
import { jobView } from "../test-support/fake-server.ts";
import { verifyWebhook, verifyWebhookSignature } from "./verify.ts";

// The Standard Webhooks specification's published test vector: what every one of its libraries accepts.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

function vectorHeaders(signature = VECTOR.signature, timestamp = String(VECTOR.timestampS)) {
  return new Headers({
    "webhook-id": VECTOR.id,
    "webhook-timestamp": timestamp,
    "webhook-signature": signature,
  });
}

/** Signs as the edge does (edge/src/webhooks/signature.ts), with Node's own HMAC as an independent check. */
function sign(secret: string, id: string, timestampS: number, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampS}.${body}`).digest("base64")}`;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SdgateWebhookError);
  return (error as SdgateWebhookError).reason;
}

describe("webhook signatures", () => {
  const at = { nowS: VECTOR.timestampS + 10 };

  it("accepts the Standard Webhooks test vector", async () => {
    await expect(
      verifyWebhookSignature({ secret: VECTOR.secret, headers: vectorHeaders(), body: VECTOR.body, ...at }),
    ).resolves.toBeUndefined();
  });

  it("accepts the body as bytes, a bare base64 secret, and Node's header object", async () => {
    await verifyWebhookSignature({
      secret: VECTOR.secret.slice("whsec_".length),
      headers: {
        "Webhook-Id": VECTOR.id,
        "webhook-timestamp": String(VECTOR.timestampS),
        "webhook-signature": VECTOR.signature,
      },
      body: new TextEncoder().encode(VECTOR.body),
      ...at,
    });
  });

  it("accepts any one of several signatures (a secret rotation lists both)", async () => {
    const other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const headers = vectorHeaders(`v2,whatever ${other} ${VECTOR.signature}`);
    await verifyWebhookSignature({ secret: VECTOR.secret, headers, body: VECTOR.body, ...at });
  });

  it("refuses a changed body, id or secret", async () => {
    const base = { secret: VECTOR.secret, headers: vectorHeaders(), body: VECTOR.body, ...at };
    expect(await failure(verifyWebhookSignature({ ...base, body: '{"test": 2432232315}' }))).toBe(
      "no_matching_signature",
    );
    const otherId = new Headers(vectorHeaders());
    otherId.set("webhook-id", "msg_other");
    expect(await failure(verifyWebhookSignature({ ...base, headers: otherId }))).toBe(
      "no_matching_signature",
    );
    expect(await failure(verifyWebhookSignature({ ...base, secret: "whsec_c2VjcmV0" }))).toBe(
      "no_matching_signature",
    );
    expect(await failure(verifyWebhookSignature({ ...base, headers: vectorHeaders("v1,not base64!") }))).toBe(
      "no_matching_signature",
    );
  });

  it("refuses a delivery outside the tolerance, either way, and honours a wider one", async () => {
    const base = { secret: VECTOR.secret, headers: vectorHeaders(), body: VECTOR.body };
    expect(await failure(verifyWebhookSignature({ ...base, nowS: VECTOR.timestampS + 301 }))).toBe(
      "timestamp_out_of_tolerance",
    );
    expect(await failure(verifyWebhookSignature({ ...base, nowS: VECTOR.timestampS - 301 }))).toBe(
      "timestamp_out_of_tolerance",
    );
    await verifyWebhookSignature({ ...base, nowS: VECTOR.timestampS + 3600, toleranceS: 3600 });
  });

  it("refuses missing headers, a timestamp that is not seconds, and a secret that is not base64", async () => {
    const base = { secret: VECTOR.secret, body: VECTOR.body, ...at };
    expect(await failure(verifyWebhookSignature({ ...base, headers: new Headers() }))).toBe(
      "missing_headers",
    );
    expect(
      await failure(verifyWebhookSignature({ ...base, headers: vectorHeaders(VECTOR.signature, "1e9") })),
    ).toBe("invalid_timestamp");
    expect(
      await failure(verifyWebhookSignature({ ...base, headers: vectorHeaders(), secret: "whsec_!!" })),
    ).toBe("invalid_secret");
  });
});

describe("webhook payloads", () => {
  const secret = "whsec_c2RnYXRlLXNkay10ZXN0LXNlY3JldC0zMi1ieXRlcyE=";
  const nowS = 1_780_000_000;

  function delivery(body: string) {
    return {
      secret,
      headers: new Headers({
        "webhook-id": "msg_job_1",
        "webhook-timestamp": String(nowS),
        "webhook-signature": sign(secret, "msg_job_1", nowS, body),
      }),
      body,
      nowS,
    };
  }

  it("answers with the ended job and its image links", async () => {
    const result = {
      created: nowS,
      data: [{ url: "https://edge.example/v1/images/abc.png?sig=x", seed: 7 }],
      model: "tiny",
      output_format: "png",
      size: "64x64",
      backend: "local-a",
      timings_ms: { text_encode: 1, denoise: 2, decode: 3, image_encode: 4, total: 10 },
    };
    const body = JSON.stringify({
      type: "job.succeeded",
      timestamp: new Date(nowS * 1000).toISOString(),
      data: { ...jobView("job_1", { status: "succeeded" }), result },
    });
    const event = await verifyWebhook(delivery(body));
    expect(event.type).toBe("job.succeeded");
    expect(event.data.result?.data[0]?.url).toContain("/v1/images/");
  });

  it("refuses a signed body that is no job webhook", async () => {
    expect(await failure(verifyWebhook(delivery('{"type":"invoice.paid"}')))).toBe("invalid_payload");
    expect(await failure(verifyWebhook(delivery("not json")))).toBe("invalid_payload");
  });
});
