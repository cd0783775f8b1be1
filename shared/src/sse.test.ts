import { describe, expect, it } from "vitest";
import { formatSse, readSse, SseIdleError } from "./sse.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]) {
  const events = [];
  for await (const event of readSse(streamOf(chunks))) events.push(event);
  return events;
}

describe("server-sent events", () => {
  it("reads events split anywhere across chunks, with CRLF or LF line ends", async () => {
    const text = `${formatSse({ id: 1, event: "queued", data: '{"position":2}' })}: ping\r\n\r\nid: 2\r\nevent: progress\r\ndata: {"step":1}\r\n\r\n`;
    const chunks = text.match(/.{1,3}/gs) ?? [];
    expect(await collect(chunks)).toEqual([
      { id: "1", event: "queued", data: '{"position":2}' },
      { id: "2", event: "progress", data: '{"step":1}' },
    ]);
  });

  it("joins multi-line data, defaults the event name, and drops an event cut off by the end", async () => {
    expect(await collect(["data: a\ndata: b\n\n", "event: result\ndata: {}"])).toEqual([
      { id: null, event: "message", data: "a\nb" },
    ]);
  });

  it("gives up on a stream that goes silent, but not on one that only sends heartbeats", async () => {
    const encoder = new TextEncoder();
    let cancelled = false;
    let beats = 0;
    let heart: ReturnType<typeof setInterval> | undefined;
    const silentAfterOneEvent = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(formatSse({ event: "queued", data: "{}" })));
      },
      cancel() {
        cancelled = true;
      },
    });
    const events: string[] = [];
    await expect(async () => {
      for await (const event of readSse(silentAfterOneEvent, { idleMs: 40 })) events.push(event.event);
    }).rejects.toBeInstanceOf(SseIdleError);
    expect(events).toEqual(["queued"]);
    expect(cancelled).toBe(true);

    const heartbeatsThenResult = new ReadableStream<Uint8Array>({
      start(controller) {
        heart = setInterval(() => {
          beats++;
          if (beats < 6) return controller.enqueue(encoder.encode(": ping\n\n"));
          clearInterval(heart);
          controller.enqueue(encoder.encode(formatSse({ event: "result", data: "{}" })));
          controller.close();
        }, 15);
      },
    });
    const names: string[] = [];
    for await (const event of readSse(heartbeatsThenResult, { idleMs: 40 })) names.push(event.event);
    expect(names).toEqual(["result"]);
  });
});

describe("server-sent events, as the standard parses them", () => {
  it("takes a lone CR as a line end, also when the LF of a CRLF arrives in the next chunk", async () => {
    expect(await collect(["event: a\rdata: 1\r", "\r", "event: b\r", "\ndata: 2\r\n", "\r\n"])).toEqual([
      { id: null, event: "a", data: "1" },
      { id: null, event: "b", data: "2" },
    ]);
  });

  it("strips a leading byte order mark and carries the last event id over, ignoring ids with NUL", async () => {
    const events = await collect([
      "\uFEFFid: 7\ndata: a\n\n",
      "data: b\n\n",
      "id: x\u0000y\ndata: c\n\n",
      "id\ndata: d\n\n",
    ]);
    expect(events.map((event) => [event.id, event.data])).toEqual([
      ["7", "a"],
      ["7", "b"],
      ["7", "c"],
      ["", "d"],
    ]);
  });

  it("dispatches `data:` with an empty value, but not an event without data", async () => {
    expect(await collect(["event: x\n\n", "data:\n\n", "data\n\n"])).toEqual([
      { id: null, event: "message", data: "" },
      { id: null, event: "message", data: "" },
    ]);
  });

  it("writes multi-line data as one data line each, and reads it back whole", async () => {
    const wire = formatSse({ id: 3, event: "note", data: "one\ntwo\r\nthree" });
    expect(wire).toBe("id: 3\nevent: note\ndata: one\ndata: two\ndata: three\n\n");
    expect(await collect([wire])).toEqual([{ id: "3", event: "note", data: "one\ntwo\nthree" }]);
  });

  it("keeps multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: ü🌊\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readSse(stream)) events.push(event.data);
    expect(events).toEqual(["ü🌊"]);
  });

  // A result event is one line of all the images in base64; rescanning the buffer per chunk made
  // this quadratic (seconds of CPU for a few megabytes in small chunks).
  it("reads an 8 MB line in 1 KB chunks in linear time", async () => {
    const payload = "A".repeat(8 * 1024 * 1024);
    const text = formatSse({ event: "result", data: payload });
    const chunks: string[] = [];
    for (let index = 0; index < text.length; index += 1024) chunks.push(text.slice(index, index + 1024));
    const startedMs = performance.now();
    const events = await collect(chunks);
    const elapsedMs = performance.now() - startedMs;
    expect(events).toHaveLength(1);
    expect(events[0]?.data.length).toBe(payload.length);
    // Linear parsing takes tens of milliseconds here; the old reader took minutes.
    expect(elapsedMs).toBeLessThan(3_000);
  });
});
