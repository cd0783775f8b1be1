import { randomHex } from "@sdgate/shared";

/** A new public id such as `usr_0f1e2d3c4b5a6978`: 64 bits from the CSPRNG behind a kind prefix. */
export function newId(kind: "usr" | "team" | "map"): string {
  return `${kind}_${randomHex(8)}`;
}
