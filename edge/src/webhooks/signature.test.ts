import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "./signature.ts";

// The Standard Webhooks specification's own example (github.com/standard-webhooks/standard-webhooks).
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MESSAGE = { id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestampS: 1614265330, body: '{"test": 2432232314}' };

describe("webhook signatures", () => {
  it("match the Standard Webhooks reference signature", async () => {
    const headers = await signWebhook(SECRET, MESSAGE);
    expect(headers["webhook-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    expect(headers["webhook-id"]).toBe(MESSAGE.id);
    expect(headers["webhook-timestamp"]).toBe("1614265330");
  });

  it("verify only the signed body, within the timestamp tolerance", async () => {
    const headers = new Headers(await signWebhook(SECRET, MESSAGE));
    expect(await verifyWebhook(SECRET, headers, MESSAGE.body, MESSAGE.timestampS + 10)).toBe(true);
    expect(await verifyWebhook(SECRET, headers, '{"test": 1}', MESSAGE.timestampS)).toBe(false);
    expect(await verifyWebhook(SECRET, headers, MESSAGE.body, MESSAGE.timestampS + 301)).toBe(false);
  });
});
