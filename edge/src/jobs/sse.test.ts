import { describe, expect, it } from "vitest";
import { formatSse, readSse } from "./sse.ts";

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
});
