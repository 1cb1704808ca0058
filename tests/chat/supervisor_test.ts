import assert from "node:assert/strict";
import { ChatSupervisor, isChatFault } from "../../lib/chat/supervisor.ts";

Deno.test("a fault in a turn restarts the chat: restored once, one line to the user, later turns run", async () => {
  const lines: string[] = [];
  let restores = 0;
  const chat = await ChatSupervisor.start({
    restore: () => Promise.resolve(++restores * 10),
    notify: (line) => lines.push(line),
  });
  try {
    assert.equal(await chat.run(() => Promise.resolve(1)), 1);
    assert.equal(await chat.run(() => Promise.reject(new TypeError("x is undefined"))), undefined);
    assert.equal(restores, 1);
    assert.deepEqual(lines, [
      "the chat crashed (TypeError: x is undefined) and was restarted; " +
      "the session was restored from the store (10 messages)",
    ]);
    assert.equal(await chat.run(() => Promise.resolve(2)), 2);
    // An error to show (the model's, a server's) is not a crash.
    await assert.rejects(() => chat.run(() => Promise.reject(new Error("rate limited"))), /rate/);
    assert.equal(restores, 1);
  } finally {
    await chat.stop();
  }
});

Deno.test("an unhandled rejection is a chat fault, not the end of the process", async () => {
  const lines: string[] = [];
  const chat = await ChatSupervisor.start({
    restore: () => Promise.resolve(undefined),
    notify: (line) => lines.push(line),
    afterTurn: () => void Promise.reject(new RangeError("stack")),
  });
  try {
    await chat.run(() => Promise.resolve());
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(lines, [
      "the chat crashed (RangeError: stack) and was restarted; nothing was stored to restore",
    ]);
  } finally {
    await chat.stop();
  }
});

Deno.test("past its restart intensity the fault goes to the caller", async () => {
  const chat = await ChatSupervisor.start({
    restore: () => Promise.resolve(0),
    notify: () => {},
    intensity: { maxRestarts: 1, periodMs: 60_000 },
  });
  try {
    await chat.run(() => Promise.reject(new TypeError("one")));
    await assert.rejects(() => chat.run(() => Promise.reject(new TypeError("two"))), /two/);
  } finally {
    await chat.stop().catch(() => {});
  }
  assert.equal(isChatFault(new DOMException("x", "AbortError")), false);
});
