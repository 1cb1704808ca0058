/**
 * Help texts: `mcpchat --help`, `mcpchat help <command>`, `<command> --help`.
 *
 * @module
 */

import { VERSION } from "./version.ts";

const MAIN = `mcpchat ${VERSION} — chat with LLMs that use MCP tools, resources and prompts

Usage:
  mcpchat [options]                       start the interactive chat
  mcpchat -p "prompt" [options]           one-shot: answer, run allowed tools, exit
  echo "prompt" | mcpchat -p -            one-shot with the prompt from stdin
  mcpchat <command> [args] [options]

Commands:
  tools list|call            list MCP tools, or call one: tools call SERVER TOOL [JSON | key=value…]
  resources list|read        list or read MCP resources
  prompts list|get           list or fetch MCP prompts
  servers list|add|remove|test|sandbox   manage configured MCP servers
  sessions list|show|export|import|delete   stored chat sessions
  config path|show|validate  where the config is, what it says, whether it is valid
  serve --stdio|--http       run mcpchat as an MCP server (its chat and sessions as tools)
  doctor                     check config, keys, servers and store; print what to fix
  health [--json]            services' heap, queues, heartbeats, restarts and alerts
  completions bash|zsh|fish  print a shell completion script
  help [command]             help on a command

Options:
  -b, --backend NAME         LLM backend (anthropic, openai, ollama, gemini, bedrock, or a named one)
  -m, --model MODEL          model to use
  -c, --continue             continue the most recent session
  -r, --resume ID            resume session ID
  -l, --list-sessions        list sessions and exit
      --config FILE          config file (TOML, or a Claude-style mcpServers JSON)
  -p, --print [PROMPT]       one-shot mode ("-" or nothing: read the prompt from stdin)
      --output-format FMT    text (default), json, or stream-json (NDJSON events)
      --max-turns N          stop the tool loop after N model turns
      --allow-tool GLOB      allow tools matching GLOB (server__tool) without asking; repeatable
  -y, --yes                  approve every tool call
      --no-save              do not store this run as a session
      --no-markdown          show answers raw (no markdown rendering)
      --system TEXT          system prompt for this session
      --json                 machine-readable output for commands
      --color WHEN           auto (default), always, never; NO_COLOR is honoured
      --profile-startup      print the time of each start-up phase (or MCPCHAT_STARTUP_PROFILING=1)
  -h, --help                 this help
  -V, --version              print the version

Exit codes: 0 ok, 1 runtime error, 2 usage or config error, 130 interrupted.
Config: $XDG_CONFIG_HOME/mcpchat/config.toml (see "mcpchat config path").
`;

const COMMAND_HELP: Record<string, string> = {
  tools: `Usage:
  mcpchat tools list [SERVER] [--json]
  mcpchat tools call SERVER TOOL [JSON | key=value…] [--json]

Lists the tools of the configured MCP servers, or calls one. Arguments are a
JSON object, or key=value pairs (values parsed as JSON when they can be:
count=3 is a number, name=bob a string).
Example: mcpchat tools call everything echo message=hello
`,
  resources: `Usage:
  mcpchat resources list [SERVER] [--json]
  mcpchat resources read SERVER URI [--json] [-o FILE]   (-o saves the content, binary included)
`,
  prompts: `Usage:
  mcpchat prompts list [SERVER] [--json]
  mcpchat prompts get SERVER PROMPT [key=value…] [--json]
`,
  servers: `Usage:
  mcpchat servers list [--json]                 configured servers and their transport
  mcpchat servers test [NAME] [--json]          connect and report capabilities and timing
  mcpchat servers sandbox NAME [--json]         the OS sandbox policy the server runs under
  mcpchat servers add NAME -- COMMAND [ARGS…]   add a stdio server (--env K=V, --cwd DIR)
  mcpchat servers add NAME URL [--transport http|sse] [--header "K: V"]
  mcpchat servers remove NAME
`,
  sessions: `Usage:
  mcpchat sessions list [--limit N] [--json]
  mcpchat sessions show ID [--json]
  mcpchat sessions export ID --format markdown|json [-o FILE]
  mcpchat sessions import FILE          a JSON export (from any machine)
  mcpchat sessions delete ID
`,
  config: `Usage:
  mcpchat config path              print the config file path in use
  mcpchat config show [--json]     print the effective config (secrets redacted)
  mcpchat config validate [FILE]   check a config file; errors name file:line:column (exit 2)
`,
  serve: `Usage:
  mcpchat serve --stdio                                for a client that starts mcpchat itself
  mcpchat serve --http [--host 127.0.0.1] [--port 8931]   streamable HTTP on /mcp, legacy SSE on /sse

Runs mcpchat as an MCP server: other MCP clients (Claude Desktop, Claude Code,
VS Code, other agents) use its chat and sessions.
  tools      chat, new_session, list_sessions, get_history, clear_history,
             switch_backend, list_servers
  resources  chat://history (this client's session), chat://session/{id}; subscribable
  prompts    code_review, explain, refactor (arguments complete)

Without --stdio/--http, mcp_server.stdio_enabled / http_enabled in the config
choose; http_enabled also serves beside the interactive chat.

The chat tool's model may call only the MCP tools in mcp_server.allow_tools
(globs on server__tool, also --allow-tool; --yes allows all, and sampling);
nobody is there to approve others.

Security: HTTP binds 127.0.0.1 unless --host says otherwise; any other address
requires a bearer token, read from MCPCHAT_MCP_SERVER_TOKEN (or mcp_server.token),
and mcpchat refuses to start without one. Requests must come from this machine's
origins (mcp_server.allowed_origins adds more), bodies are capped
(mcp_server.max_body_bytes) and each client is rate limited
(mcp_server.rate_limit_per_second). With --stdio, stdout carries only MCP messages.
--port 0 picks a free port; the URL is printed on stdout.

Claude Desktop (claude_desktop_config.json) or VS Code (.vscode/mcp.json uses
"servers" instead of "mcpServers"):
  {
    "mcpServers": {
      "mcpchat": { "command": "mcpchat", "args": ["serve", "--stdio"] }
    }
  }
Claude Code:
  claude mcp add mcpchat -- mcpchat serve --stdio
Over HTTP (mcpchat serve --http running):
  { "mcpServers": { "mcpchat": { "type": "http", "url": "http://127.0.0.1:8931/mcp" } } }

--conformance-fixtures adds the tools, resources and prompts the MCP conformance
suite's server scenarios expect (for testing only).
`,
  health: `Usage:
  mcpchat health [--json]

Starts the services (session store, LLM worker, and the MCP servers when some
are configured), asks every worker for a heartbeat, and checks each against
[health]: max_heap_mb, max_queue, missed_heartbeats. Prints one table, or with --json one object with the
workers, LLM circuit breakers, MCP servers, and the restarts and alerts since
start. Exits 1 when a service is unhealthy, a breaker is open or a server failed.
In the chat, /health shows the same table for the running session.`,
  doctor: `Usage:
  mcpchat doctor [--json]

Checks the config, provider keys, each MCP server's connection, the session
store and permissions, and prints what to fix. Exit 1 when something is broken.
`,
  completions: `Usage:
  mcpchat completions bash|zsh|fish
`,
  help: `Usage:
  mcpchat help [COMMAND]
`,
};

/**
 * The help text for `command`, or the main help.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * console.log(helpText("tools").startsWith("Usage:")); // true
 * ```
 */
export function helpText(command?: string): string {
  return (command && COMMAND_HELP[command]) || MAIN;
}

/** Commands that have their own help page. */
export function commandsWithHelp(): string[] {
  return Object.keys(COMMAND_HELP);
}
