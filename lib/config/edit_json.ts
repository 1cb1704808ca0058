/**
 * Server edits of Claude-style JSON config files (`mcpServers`, or VS Code's
 * `servers`), for `mcpchat servers add|remove`. Loaded only for a JSON file
 * (see json_locate.ts for why).
 *
 * @module
 */

import { editError, noSuchServer, type ServerDefinition } from "./edit.ts";
import { isTable } from "./state.ts";
import { type JsonValue, parseJsonWithLocations } from "./json_locate.ts";
import { validateServer } from "./server.ts";

type Table = Record<string, unknown>;

function jsonServers(document: JsonValue, file: string): { key: string; servers: Table } {
  if (!isTable(document)) {
    throw editError(file, "not a JSON object", 'a JSON object such as {"mcpServers": {}}', 1);
  }
  const key = "mcpServers" in document
    ? "mcpServers"
    : "servers" in document
    ? "servers"
    : undefined;
  if (key === undefined) {
    const servers = {};
    document.mcpServers = servers;
    return { key: "mcpServers", servers };
  }
  const servers = document[key];
  if (!isTable(servers)) {
    throw editError(file, `${key} is not an object`, "an object mapping names to servers");
  }
  return { key, servers };
}

/**
 * Adds server `name` to a Claude-style JSON file (`mcpServers`, or VS Code's
 * `servers`), keeping every other member. The file is rewritten with
 * two-space indentation (comments in a JSONC file do not survive).
 *
 * @example
 * ```ts
 * import { addServerToJson } from "./edit_json.ts";
 * console.log(addServerToJson('{"mcpServers": {}}', "fs", { command: "npx" }, "mcp.json"));
 * ```
 */
export function addServerToJson(
  text: string,
  name: string,
  server: ServerDefinition,
  file: string,
): string {
  validateServer(name, server, `new server ${JSON.stringify(name)}`);
  const { value } = parseJsonWithLocations(text.trim() === "" ? "{}" : text, file, {
    comments: true,
  });
  const { servers } = jsonServers(value, file);
  if (name in servers) {
    throw editError(
      file,
      `a server named ${JSON.stringify(name)} already exists; give this one another name, ` +
        `or remove that one first (mcpchat servers remove ${name})`,
      "a new name",
    );
  }
  servers[name] = server;
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Removes server `name` from a Claude-style JSON file.
 *
 * @example
 * ```ts
 * import { removeServerFromJson } from "./edit_json.ts";
 * console.log(removeServerFromJson('{"mcpServers": {"fs": {"command": "npx"}}}', "fs", "mcp.json"));
 * ```
 */
export function removeServerFromJson(text: string, name: string, file: string): string {
  const { value } = parseJsonWithLocations(text, file, { comments: true });
  const { servers } = jsonServers(value, file);
  if (!(name in servers)) throw noSuchServer(file, name, Object.keys(servers));
  delete servers[name];
  return `${JSON.stringify(value, null, 2)}\n`;
}
