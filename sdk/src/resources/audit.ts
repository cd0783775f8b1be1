import type { AuditListQuery, AuditPage, AuditVerifyQuery, ChainReport } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * A whole walk of the chain: the last page's report, and the rows all pages checked.
 *
 * @example
 * const walk: ChainWalk = await admin.audit.verifyAll();
 */
export interface ChainWalk {
  /** The chain holds from its start (or retention checkpoint) to the head the edge remembers. */
  ok: boolean;
  rowsChecked: number;
  pages: number;
  /** The last page: where it ended, and `first_broken` when it broke. */
  last: ChainReport;
}

/**
 * The hash-chained audit log, with the admin token: `listAudit`, `verifyAudit`.
 *
 * @example
 * const walk = await admin.audit.verifyAll();
 * if (!walk.ok) console.error(walk.last.first_broken);
 */
export class Audit {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Entries newest first, only those that pass the filters given (key, action or a kind of action
   * such as `key.`, actor or a person's email, target, `from`–`to`), filtered on the server so each
   * page is full; pass `next_before` as `before`, with the same filters, for older ones.
   *
   * @example
   * const page = await admin.audit.list({ action: "key.", actor: "user:usr_…", from: "2026-12-01", limit: 20 });
   */
  async list(query: AuditListQuery = {}, options: RequestOptions = {}): Promise<AuditPage> {
    return callOperation(this.#transport, "listAudit", { query }, options);
  }

  /**
   * One page of a walk along the chain, recomputing each row's hash: `limit` rows after `after_seq`.
   * `ok` is true only on the last page of a walk without a break; {@link Audit.verifyAll} walks them all.
   *
   * @example
   * let page = await admin.audit.verify();
   * while (!page.complete) page = await admin.audit.verify({ after_seq: page.next_after_seq ?? 0 });
   */
  async verify(query: AuditVerifyQuery = {}, options: RequestOptions = {}): Promise<ChainReport> {
    return callOperation(this.#transport, "verifyAudit", { query }, options);
  }

  /**
   * Walks the whole chain a page at a time (each page one call, under `options`), until it ends or breaks.
   *
   * @example
   * const { ok, rowsChecked } = await admin.audit.verifyAll({ limit: 20_000 });
   */
  async verifyAll(
    query: Pick<AuditVerifyQuery, "limit"> & { onPage?: (page: ChainReport) => void } = {},
    options: RequestOptions = {},
  ): Promise<ChainWalk> {
    let rowsChecked = 0;
    let pages = 0;
    let afterSeq: number | undefined;
    for (;;) {
      const page = await this.verify(
        {
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(afterSeq === undefined ? {} : { after_seq: afterSeq }),
        },
        options,
      );
      pages++;
      rowsChecked += page.rows_checked;
      query.onPage?.(page);
      if (page.complete || page.next_after_seq === null)
        return { ok: page.ok, rowsChecked, pages, last: page };
      afterSeq = page.next_after_seq;
    }
  }
}
