import { Readable } from "node:stream";
import { hasCode } from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "../../src";

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("MemoryObjectStore", () => {
  it("stores streamed puts whole and serves byte ranges in small chunks", async () => {
    const store = new MemoryObjectStore({ chunkSize: 2 });

    await store.put("b", "k", Readable.from([Buffer.from("hello "), Buffer.from("world")]));

    expect(await text(await store.get("b", "k"))).toBe("hello world");
    expect(await text(await store.get("b", "k", { range: { start: 6, end: 8 } }))).toBe("wor");
    expect(store.puts).toEqual(["b/k"]);
    expect((await store.head("b", "k"))?.size).toBe(11);
  });

  it("fails a missing object with the not-found code", async () => {
    const error = await new MemoryObjectStore().get("b", "nope").catch((e: unknown) => e);
    expect(hasCode(error, "not-found")).toBe(true);
  });

  it("leaves nothing behind when a put is made to fail", async () => {
    const store = new MemoryObjectStore();
    store.putFault = () => new Error("throttled");

    await expect(store.put("b", "k", "x")).rejects.toThrow("throttled");
    expect(store.keys("b")).toEqual([]);
  });

  it("lists by prefix in key order", async () => {
    const store = new MemoryObjectStore();
    store.seed("b", "p/2", "x");
    store.seed("b", "p/1", "y");
    store.seed("b", "q/1", "z");

    const keys: string[] = [];
    for await (const head of store.list("b", "p/")) keys.push(head.key);
    expect(keys).toEqual(["p/1", "p/2"]);
  });
});

describe("MemoryEventPublisher", () => {
  it("keeps events in order and can be made to fail", async () => {
    const publisher = new MemoryEventPublisher();
    const event = { type: "sluice.object.received" } as never;

    await publisher.publish(event);
    publisher.fault = new Error("down");

    await expect(publisher.publish(event)).rejects.toThrow("down");
    expect(publisher.types()).toEqual(["sluice.object.received"]);
  });
});
