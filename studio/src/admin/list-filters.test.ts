import { describe, expect, it } from "vitest";
import {
  AUDIT_FILTER_NAMES,
  auditListQueryOf,
  filtersOfForm,
  KEY_FILTER_NAMES,
  keyListQueryOf,
} from "./list-filters.ts";

describe("the admin lists' filters, from the URL to the API", () => {
  it("sends the key list's filters the URL names, the empty ones left out", () => {
    const query = new URLSearchParams(
      "q=%20ci%20&status=revoked&team_id=team_0123456789abcdef&created_by=&x=1",
    );
    expect(keyListQueryOf(query, 100)).toEqual({
      limit: 100,
      q: "ci",
      status: "revoked",
      team_id: "team_0123456789abcdef",
    });
    expect(keyListQueryOf(new URLSearchParams(), 50)).toEqual({ limit: 50 });
  });

  it("sends the audit log's filters: key, action or kind, actor, target and time range", () => {
    const query = new URLSearchParams(
      "action=key.&actor=ada%40example.com&from=2026-12-01&to=2026-12-07&q=no",
    );
    expect(auditListQueryOf(query, 100)).toEqual({
      limit: 100,
      action: "key.",
      actor: "ada@example.com",
      from: "2026-12-01",
      to: "2026-12-07",
    });
  });

  it("keeps a form's filled fields for the URL", () => {
    const form = new FormData();
    form.set("q", " nightly ");
    form.set("status", "");
    form.set("other", "x");
    expect(filtersOfForm(form, KEY_FILTER_NAMES)).toEqual({ q: "nightly" });
    expect(filtersOfForm(new FormData(), AUDIT_FILTER_NAMES)).toEqual({});
  });
});
