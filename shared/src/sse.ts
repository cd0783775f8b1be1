/**
 * Server-sent events (HTML Living Standard, "Server-sent events" §9.2.6, "Interpreting an event
 * stream"): the one writer and the one reader that the backend, the edge and the CLI share. The reader
 * looks at every character once, however the stream is cut into chunks: a `result` event carrying all
 * of a generation's images in base64 is one line of megabytes, and a reader that rescans its buffer per
 * chunk spends seconds of CPU on it.
 */

export interface SseEvent {
  /** The last event ID as of this event (it carries over to later events, as the standard says). */
  id: string | null;
  event: string;
  data: string;
}

/** One event as wire text; `data` may span lines (each becomes its own `data:` line). */
export function formatSse(event: { id?: number | string; event: string; data: string }): string {
  const id = event.id === undefined ? "" : `id: ${event.id}\n`;
  const data = event.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join("");
  return `${id}event: ${event.event}\n${data}\n`;
}

/** A comment line: keeps idle connections open through proxies. */
export const SSE_HEARTBEAT = ": ping\n\n";

/** Thrown by `readSse` when the stream sends nothing, not even a heartbeat, for `idleMs`. */
export class SseIdleError extends Error {
  override readonly name = "SseIdleError";

  constructor(idleMs: number) {
    super(`the event stream sent nothing for ${idleMs} ms`);
  }
}

/**
 * Turns decoded text, fed in pieces of any size, into events. A line still open at the end of a piece
 * is kept as a list of parts and joined once, when its end arrives, so the work is linear in the
 * stream's length.
 *
 * @example
 * const decoder = new SseDecoder();
 * for (const event of decoder.push("event: queued\ndata: {}\n\n")) console.log(event.event);
 */
export class SseDecoder {
  #parts: string[] = [];
  /** The previous piece ended in "\r": a "\n" that starts the next one belongs to that line end. */
  #afterCr = false;
  #lastId: string | null = null;
  #name = "";
  #data: string[] = [];

  /** The events completed by `text`. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (text === "") return events;
    let start = 0;
    if (this.#afterCr && text.startsWith("\n")) start = 1;
    this.#afterCr = false;
    for (let index = start; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code !== 10 && code !== 13) continue;
      this.#parts.push(text.slice(start, index));
      const line = this.#parts.length === 1 ? (this.#parts[0] as string) : this.#parts.join("");
      this.#parts = [];
      const event = this.#line(line);
      if (event !== null) events.push(event);
      if (code === 13) {
        if (index + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(index + 1) === 10) index++;
      }
      start = index + 1;
    }
    if (start < text.length) this.#parts.push(text.slice(start));
    return events;
  }

  // §9.2.6: an empty line dispatches; `:` starts a comment; otherwise `field: value`.
  #line(line: string): SseEvent | null {
    if (line === "") {
      const event =
        this.#data.length > 0
          ? {
              id: this.#lastId,
              event: this.#name === "" ? "message" : this.#name,
              data: this.#data.join("\n"),
            }
          : null;
      this.#name = "";
      this.#data = [];
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#name = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#lastId = value;
    return null;
  }
}

/** The next chunk, or an `SseIdleError` when none comes within `idleMs` (undefined: wait forever). */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number | undefined,
): ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> {
  if (idleMs === undefined) return reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SseIdleError(idleMs)), idleMs);
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The events of a `text/event-stream` body, in order. Ends when the body ends; an event cut off by
 * the end of the body is dropped, as the standard says. With `idleMs`, a body silent that long (no
 * bytes at all: heartbeat comments count) throws `SseIdleError`. The body is cancelled whenever the
 * reader stops early.
 *
 * @example
 * for await (const event of readSse(response.body, { idleMs: 45_000 })) console.log(event.event, event.data);
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: { idleMs?: number } = {},
): AsyncGenerator<SseEvent> {
  // TextDecoder drops a leading byte order mark, as the standard's UTF-8 decode does.
  const text = new TextDecoder();
  const decoder = new SseDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, options.idleMs);
      if (done) {
        yield* decoder.push(text.decode());
        return;
      }
      yield* decoder.push(text.decode(value, { stream: true }));
    }
  } finally {
    // Harmless on a finished body; frees the connection when the reader stops early.
    await reader.cancel().catch(() => {});
  }
}
