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
    let heart: ReturnType<typeof setInterval> | null = null;
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
