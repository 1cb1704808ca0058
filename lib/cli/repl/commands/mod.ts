/**
 * The REPL's slash commands, one module each, in the order `/help` lists
 * them within their group. This table drives `/help`, Tab completion and
 * dispatch.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";
import { backendCommand } from "./backend.ts";
import { modelCommand, modelsCommand } from "./model.ts";
import { costCommand, tokensCommand } from "./cost.ts";
import { contextCommand, strategyCommand } from "./context.ts";
import { systemCommand } from "./system.ts";
import {
  clearCommand,
  exportCommand,
  historyCommand,
  loadCommand,
  newCommand,
  saveCommand,
  sessionsCommand,
} from "./sessions.ts";
import { mcpCommand } from "./mcp.ts";
import { aliasCommand } from "./alias.ts";
import { cacheCommand } from "./cache.ts";
import { notificationCommand } from "./notification.ts";
import { healthCommand, statsCommand } from "./health.ts";
import { markdownCommand } from "./markdown.ts";
import { tuiCommand } from "./tui.ts";

/** Every slash command but the REPL's own `/help`, `/exit` and `/quit`. */
export const REPL_COMMANDS: readonly ReplCommand[] = [
  backendCommand,
  modelCommand,
  modelsCommand,
  systemCommand,
  strategyCommand,
  markdownCommand,
  newCommand,
  saveCommand,
  loadCommand,
  sessionsCommand,
  historyCommand,
  exportCommand,
  clearCommand,
  mcpCommand,
  cacheCommand,
  notificationCommand,
  costCommand,
  tokensCommand,
  contextCommand,
  healthCommand,
  statsCommand,
  tuiCommand,
  aliasCommand,
];
