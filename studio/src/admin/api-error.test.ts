import { SdgateApiError } from "@sdgate/sdk";
import { describe, expect, it } from "vitest";
import { invalidProps, problemOf } from "./api-error.ts";

describe("an action's problem", () => {
  it("keeps the API's message, the field it names and the status", () => {
    const error = new SdgateApiError("Invalid 'name': must not be empty", {
      status: 400,
      type: "invalid_request_error",
      code: "invalid_request",
      param: "name",
      requestId: null,
      retryAfterMs: null,
      headers: new Headers(),
    });
    expect(problemOf(error)).toEqual({
      message: "Invalid 'name': must not be empty",
      field: "name",
      status: 400,
    });
    expect(problemOf(new Error("offline"))).toEqual({ message: "offline", field: null, status: null });
  });

  it("marks the control the problem names (or one of its parts), and no other", () => {
    const problem = { message: "x", field: "limits.requests_per_minute", status: 400 };
    expect(invalidProps(problem, "limits", "err")).toEqual({
      "aria-invalid": true,
      "aria-describedby": "err",
    });
    expect(invalidProps(problem, "requests_per_minute", "err")).toEqual({
      "aria-invalid": true,
      "aria-describedby": "err",
    });
    expect(invalidProps(problem, "name", "err")).toEqual({});
    expect(invalidProps(null, "name", "err")).toEqual({});
  });
});
