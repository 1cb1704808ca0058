import { EVERYTHING } from "./helpers.ts";
import { exerciseEverything, startEverythingHttp } from "./everything_suite.ts";

Deno.test("server-everything over stdio: every feature", async () => {
  await exerciseEverything({ command: "node", args: [EVERYTHING, "stdio"] });
});

Deno.test("server-everything over streamable HTTP: every feature", async () => {
  const srv = await startEverythingHttp("streamableHttp", EVERYTHING);
  try {
    await exerciseEverything({ type: "http", url: `http://127.0.0.1:${srv.port}/mcp` });
  } finally {
    await srv.stop();
  }
});

Deno.test("server-everything over legacy SSE: every feature", async () => {
  const srv = await startEverythingHttp("sse", EVERYTHING);
  try {
    await exerciseEverything({ type: "sse", url: `http://127.0.0.1:${srv.port}/sse` });
  } finally {
    await srv.stop();
  }
});
