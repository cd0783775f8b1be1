import { z } from "zod";

/**
 * An instant as a query names it: RFC 3339 or a date (`2026-11-01`, its UTC midnight), given back as
 * RFC 3339 UTC (`2026-11-01T00:00:00.000Z`), which compares as the stored ISO 8601 timestamps do.
 *
 * @example
 * instantSchema.parse("2026-11-01"); // "2026-11-01T00:00:00.000Z"
 */
export const instantSchema = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date and time or a date (2026-11-01)" })
  .or(z.iso.date({ message: "must be an RFC 3339 date and time or a date (2026-11-01)" }))
  .transform((text) => new Date(text).toISOString());
