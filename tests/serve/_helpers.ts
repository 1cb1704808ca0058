/**
 * Runs the real `mcpchat serve` for tests: a private HOME, a config whose
 * model is a local fake OpenAI-compatible provider, and the URL read from
 * the command's stdout.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { isolatedEnv, spawnCli } from "../_helpers/cli.ts";

/** A running `mcpchat serve --http`. */
export interface Served {
  url: string;
  child: Deno.ChildProcess;
  fake: FakeProvider;
  env: Record<string, string>;
  config: string;
  /** Everything the server wrote to stderr so far (after `stop`). */
  stderr(): string;
  stop(): Promise<Deno.CommandStatus>;
}

/** A config with the fake provider as the default backend, plus `extraToml`. */
export async function serveConfig(
  fake: FakeProvider,
  env: Record<string, string>,
  extraToml = "",
): Promise<string> {
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.retry]\nmax_attempts = 1\nbase_ms = 10\nmax_ms = 20\n` +
      `[llm.backends.local]\ntype = "openai-compatible"\nbase_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n` +
      `[llm.backends.other]\ntype = "openai-compatible"\nbase_url = "${fake.url}/v1"\nmodel = "gpt-4.1-mini"\n` +
      extraToml,
  );
  return config;
}

/** Reads stdout until the first line (the URL) arrives. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0].trim();
}

/**
 * Starts `mcpchat serve --http --port 0 ARGS…` and waits for its URL.
 *
 * @example
 * ```ts ignore
 * const served = await serveHttp(["--conformance-fixtures"]);
 * await served.stop();
 * ```
 */
export async function serveHttp(
  args: string[] = [],
  options: { extraToml?: string; env?: Record<string, string> } = {},
): Promise<Served> {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv(options.env);
  const config = await serveConfig(fake, env, options.extraToml);
  const child = spawnCli(["serve", "--http", "--port", "0", "--config", config, ...args], env);
  let err = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (err += chunk) }),
  );
  const url = await firstLine(child.stdout);
  if (!url.startsWith("http://")) {
    child.kill("SIGKILL");
    await child.status;
    await errDone.catch(() => {});
    await fake.close();
    throw new Error(`serve did not start: ${url}\n${err}`);
  }
  return {
    url,
    child,
    fake,
    env,
    config,
    stderr: () => err,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await child.stdout.cancel().catch(() => {});
      await errDone.catch(() => {});
      await fake.close();
      return status;
    },
  };
}

/** An SDK client connected over streamable HTTP. */
export async function httpClient(
  url: string,
  options: { headers?: Record<string, string>; capabilities?: Record<string, unknown> } = {},
): Promise<Client> {
  const client = new Client({ name: "serve-test", version: "1.0.0" }, {
    capabilities: options.capabilities ?? {},
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: options.headers ?? {} },
    }),
  );
  return client;
}

/** The text of a tool result's first block. */
export function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === "text")?.text ?? "";
}

/** The structured content of a tool result. */
export function structured<T = Record<string, unknown>>(result: unknown): T {
  return (result as { structuredContent: T }).structuredContent;
}
