import { SdgateConnectionError } from "../errors/connection-error.ts";
import { SdgateResponseError } from "../errors/response-error.ts";
import { apiErrorOf } from "./api-error-of.ts";
import { backoffMs, MAX_RETRY_AFTER_MS, retryableStatus } from "./retry.ts";
import { type CallScope, callScope, sleep } from "./scope.ts";

/**
 * Which secret a route takes (its operation's `access`): an API key, the admin token, none, or
 * `either` (the API key when the client has one, else the admin token: `/v1/me`).
 *
 * @example
 * const credential: Credential = "adminToken"; // for /admin/*
 */
export type Credential = "apiKey" | "adminToken" | "none" | "either";

/**
 * What every method accepts besides its own arguments.
 *
 * @example
 * await client.models.list({ signal: AbortSignal.timeout(5_000), maxRetries: 0 });
 */
export interface RequestOptions {
  /** Aborts the call, its retries and their waits; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This call's limit, retries included (`null`: none); the client's `timeoutMs` otherwise. */
  timeoutMs?: number | null;
  /** This call's retries; the client's `maxRetries` otherwise. */
  maxRetries?: number;
}

/**
 * One API call, as the resources describe it.
 *
 * @example
 * const spec: CallSpec = { method: "GET", path: "/v1/models", credential: "apiKey", idempotent: true };
 */
export interface CallSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path under the client's `baseUrl` (`/v1/models`), or an absolute URL the API handed out. */
  path: string;
  credential: Credential;
  /** Query parameters; `undefined` ones are left out. */
  query?: object;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  /**
   * Sending it twice does no more than sending it once, so a connection error or a 503 may be retried
   * (a 429 always may: see `retryableStatus`).
   */
  idempotent: boolean;
  accept?: string;
}

/**
 * What a {@link Transport} is made with: the client's checked options.
 *
 * @example
 * new Transport({ baseUrl: new URL("https://images.example.com"), apiKey: "sk_…", adminToken: null, fetch, maxRetries: 2, timeoutMs: 60_000 });
 */
export interface TransportConfig {
  baseUrl: URL;
  apiKey: string | null;
  adminToken: string | null;
  /**
   * Admin-side calls ride on the browser's session cookie (a person signed in, same origin) instead
   * of the admin token: no `Authorization`, and the cookie sent. Absent: false.
   */
  session?: boolean;
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  maxRetries: number;
  timeoutMs: number | null;
  /** Sent as `User-Agent` when set. */
  userAgent: string | null;
}

/**
 * A success answer and its request id (`X-Request-Id`).
 *
 * @example
 * const { response, requestId } = await transport.open(spec, {});
 */
export interface Answer {
  response: Response;
  requestId: string | null;
}

/**
 * Sends calls: the URL, the credential, JSON, the retries (429, 503 and connection errors, honouring
 * `Retry-After`, full-jitter backoff otherwise) and the call's timeout and signal. Every error leaves
 * it as one of the SDK's error classes, or the caller's own abort reason.
 *
 * @example
 * const transport = new Transport({ baseUrl: new URL(baseUrl), apiKey, adminToken: null, fetch, maxRetries: 2, timeoutMs: null });
 */
export class Transport {
  readonly #config: TransportConfig;

  constructor(config: TransportConfig) {
    this.#config = config;
  }

  /** The client's limit for a call that names none (`null`: none). */
  get defaultTimeoutMs(): number | null {
    return this.#config.timeoutMs;
  }

  /**
   * The call's JSON answer, read by `read` (a schema's parse, usually) under the call's timeout.
   *
   * @example
   * const { data } = await transport.json({ method: "GET", path: "/v1/models", credential: "apiKey", idempotent: true }, (json) => json, {});
   */
  async json<T>(
    spec: CallSpec,
    read: (json: unknown) => T,
    options: RequestOptions,
  ): Promise<Answer & { data: T }> {
    return this.#scoped(spec, options, async (answer) => {
      const body = await answer.response.text();
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch (error) {
        throw this.#unreadable(answer, "is not JSON", error);
      }
      try {
        return { ...answer, data: read(json) };
      } catch (error) {
        throw this.#unreadable(answer, "is not the shape this SDK expects", error);
      }
    });
  }

  /**
   * The call's raw bytes and content type (an image behind a signed link).
   *
   * @example
   * const { bytes } = await transport.bytes({ method: "GET", path: url, credential: "none", idempotent: true }, {});
   */
  async bytes(spec: CallSpec, options: RequestOptions): Promise<Answer & { bytes: Uint8Array }> {
    return this.#scoped(spec, options, async (answer) => ({
      ...answer,
      bytes: new Uint8Array(await answer.response.arrayBuffer()),
    }));
  }

  /**
   * An answer whose body is a stream: the timeout covers getting it, not reading it; the caller's
   * signal still cancels the read. `close()` when done with it.
   *
   * @example
   * const { response, close } = await transport.open(spec, { signal });
   * try { for await (const event of readSse(response.body)) … } finally { close(); }
   */
  async open(spec: CallSpec, options: RequestOptions): Promise<Answer & { close(): void }> {
    const scope = this.#scope(options);
    try {
      const answer = await this.#send(spec, scope, options.maxRetries ?? this.#config.maxRetries);
      scope.stopTimer();
      return { ...answer, close: () => scope.dispose() };
    } catch (error) {
      scope.dispose();
      throw scope.signal.aborted ? scope.abortError() : error;
    }
  }

  #scope(options: RequestOptions): CallScope {
    const timeoutMs = options.timeoutMs === undefined ? this.#config.timeoutMs : options.timeoutMs;
    return callScope(options.signal, timeoutMs);
  }

  async #scoped<T>(
    spec: CallSpec,
    options: RequestOptions,
    read: (answer: Answer) => Promise<T>,
  ): Promise<T> {
    const scope = this.#scope(options);
    try {
      return await read(await this.#send(spec, scope, options.maxRetries ?? this.#config.maxRetries));
    } catch (error) {
      // A fetch or body read cut short by the scope rejects with a platform error; say why it stopped.
      throw scope.signal.aborted ? scope.abortError() : error;
    } finally {
      scope.dispose();
    }
  }

  #unreadable(answer: Answer, problem: string, cause: unknown): SdgateResponseError {
    return new SdgateResponseError(`The ${answer.response.status} answer ${problem}.`, {
      status: answer.response.status,
      requestId: answer.requestId,
      cause,
    });
  }

  #url(spec: CallSpec): string {
    const base = this.#config.baseUrl;
    const url = /^https?:\/\//i.test(spec.path)
      ? new URL(spec.path)
      : new URL(spec.path.replace(/^\//, ""), base.href.endsWith("/") ? base.href : `${base.href}/`);
    // A credential goes to the edge only, never to another origin an answer may have named.
    if (spec.credential !== "none" && url.origin !== base.origin) {
      throw new TypeError(
        `Sdgate: will not send a credential to ${url.origin}, which is not ${base.origin}.`,
      );
    }
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (typeof value === "string" || typeof value === "number") url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  /** The bearer secret a call sends, or `null` when it rides on the session cookie instead. */
  #secret(credential: Exclude<Credential, "none">): string | null {
    const { apiKey, adminToken, session } = this.#config;
    const secret =
      credential === "apiKey" ? apiKey : credential === "adminToken" ? adminToken : (apiKey ?? adminToken);
    if (secret !== null) return secret;
    if (session === true && credential !== "apiKey") return null;
    const needed = { apiKey: "an apiKey", adminToken: "an adminToken", either: "an apiKey or an adminToken" }[
      credential
    ];
    throw new TypeError(`This call needs ${needed}: pass it to new Sdgate({ … }).`);
  }

  #headers(spec: CallSpec): Record<string, string> {
    const headers: Record<string, string> = { Accept: spec.accept ?? "application/json", ...spec.headers };
    if (spec.body !== undefined) headers["Content-Type"] = "application/json";
    if (this.#config.userAgent !== null) headers["User-Agent"] = this.#config.userAgent;
    const secret = spec.credential === "none" ? null : this.#secret(spec.credential);
    if (secret !== null) headers.Authorization = `Bearer ${secret}`;
    return headers;
  }

  async #send(spec: CallSpec, scope: CallScope, maxRetries: number): Promise<Answer> {
    const url = this.#url(spec);
    const init: RequestInit = {
      method: spec.method,
      headers: this.#headers(spec),
      signal: scope.signal,
      ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      ...(this.#config.session === true ? { credentials: "same-origin" as const } : {}),
    };
    for (let retry = 0; ; retry++) {
      let response: Response;
      try {
        response = await this.#config.fetch(url, init);
      } catch (error) {
        if (scope.signal.aborted) throw scope.abortError();
        const failure = new SdgateConnectionError(`Could not reach ${new URL(url).origin}.`, {
          cause: error,
        });
        // The request may have arrived before the connection broke: only an idempotent one goes again.
        if (!spec.idempotent || retry >= maxRetries) throw failure;
        await this.#wait(backoffMs(retry), scope, failure);
        continue;
      }
      const requestId = response.headers.get("x-request-id");
      if (response.ok) return { response, requestId };
      const failure = await apiErrorOf(response);
      if (retry >= maxRetries || !retryableStatus(response.status, spec.idempotent)) throw failure;
      const waitMs = failure.retryAfterMs ?? backoffMs(retry);
      if (waitMs > MAX_RETRY_AFTER_MS) throw failure;
      await this.#wait(waitMs, scope, failure);
    }
  }

  /** Waits before a retry; a wait the timeout would cut short is not begun: the failure is thrown instead. */
  async #wait(waitMs: number, scope: CallScope, failure: Error): Promise<void> {
    if (Date.now() + waitMs >= scope.deadlineMs) throw failure;
    await sleep(waitMs, scope.signal);
  }
}
