/**
 * Server-sent events (HTML Living Standard, "Server-sent events" §9.2): the edge reads the backend's
 * stream and writes its own to clients. Only what sdgate uses: `id`, `event`, `data` (multi-line
 * joined with "\n"), comments ignored, `retry` ignored.
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** One event as wire text; `data` must be one line (JSON is). */
export function formatSse(event: { id?: number | string; event: string; data: string }): string {
  const id = event.id === undefined ? "" : `id: ${event.id}\n`;
  return `${id}event: ${event.event}\ndata: ${event.data}\n\n`;
}

/** A comment line: keeps idle connections open through proxies. */
export const SSE_HEARTBEAT = ": ping\n\n";

/** Thrown by `readSse` when the stream sends nothing, not even a heartbeat, for `idleMs`. */
export class SseIdleError extends Error {
  constructor(idleMs: number) {
    super(`the event stream sent nothing for ${idleMs} ms`);
    this.name = "SseIdleError";
  }
}

/** The next chunk, or an `SseIdleError` when none comes within `idleMs` (undefined: wait forever). */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (idleMs === undefined) return reader.read();
  let timer: ReturnType<typeof setTimeout> | null = null;
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
 * the end of the body is dropped, as the spec says. With `idleMs`, a body silent that long (no
 * bytes at all: heartbeat comments count) throws `SseIdleError` and the body is cancelled.
 *
 * @example
 * for await (const event of readSse(response.body, { idleMs: 45_000 })) console.log(event.event, event.data);
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  options: { idleMs?: number } = {},
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let id: string | null = null;
  let name = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, options.idleMs);
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        const width = buffer.startsWith("\r\n", newline) ? 2 : 1;
        // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for more.
        if (width === 1 && buffer[newline] === "\r" && newline === buffer.length - 1) break;
        buffer = buffer.slice(newline + width);
        if (line === "") {
          if (data.length > 0) yield { id, event: name === "" ? "message" : name, data: data.join("\n") };
          name = "";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "event") name = value;
          else if (field === "data") data.push(value);
          else if (field === "id" && !value.includes("\0")) id = value;
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    // Harmless on a finished body; frees the connection when the reader stops early.
    await reader.cancel().catch(() => {});
  }
}
