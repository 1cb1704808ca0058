/**
 * `config`: loads and validates the configuration in a worker that may read
 * only the config directory (plus an explicit `--config` file and a
 * `servers_file` elsewhere) and only the environment variables the loader
 * uses. Permissions: `configWorkerPermissions({env, configPath, extraRead})`
 * with `extraRead = await discoverExtraReads({env, configPath})`, both in
 * `lib/config/permissions.ts` (zod-free, for the main thread).
 *
 * RPC surface:
 * - `load({path?})` → `{config, sources, warnings, serverOrigins}`; throws a
 *   config error (`code` `CONFIG_*`, `data.file/line/column/expected/issues`).
 * - `validate({path})` → `{ok, errors[], warnings}` (never throws for a bad file).
 * - `show({path?})` → the effective config as TOML, secrets redacted.
 * - `path()` → `{path, explicit}`: the file `load` reads.
 * - `watch({path?})` → stream of `{ok: true, result}` | `{ok: false, error}`:
 *   the current config first, then one update per change of the config file
 *   or a file it read. Call it with `timeoutMs: Infinity`; cancel to stop.
 * - `planServerEdit({op: "add", name, server, file?} | {op: "remove", name, file?})`
 *   → `{file, text}`: the new content for `mcpchat servers add|remove`; the
 *   host writes it (this worker cannot write). Throws `CONFIG_EDIT` /
 *   `CONFIG_INVALID` errors.
 *
 * @module
 */
import "../lib/plugin/guard.ts";
import { z } from "zod/mini";
import { definePlugin, serveWorker } from "../lib/plugin/define.ts";
import type { CallContext } from "../lib/rpc/peer.ts";
import { type ConfigUpdate, watchConfig } from "../lib/config/watch.ts";
import {
  configEnvNames,
  ConfigError,
  defaultConfigPath,
  formatConfig,
  loadConfig,
  type LoadConfigResult,
  type PlannedEdit,
  planServerEdit,
  readConfigText,
  readEnv,
  type ServerEdit,
  validateConfigFile,
  type ValidationReport,
} from "../lib/config/mod.ts";

/** Start data of the config plugin. */
export interface ConfigInit {
  /** `--config FILE` as an absolute path, if given. */
  path?: string;
}

/** Parameters of `load` and `show`. */
export interface ConfigLoadParams {
  /** Overrides the init path for this call. */
  path?: string;
}

// This worker parses a handful of documents in its life: compiling zod's
// per-schema fast paths (`new Function`) costs more than it saves (a few ms on
// the first load, which is on the way to the first prompt). Only this
// worker's zod instance is affected.
z.config({ jitless: true });

/** The config plugin. */
export const configPlugin = definePlugin({
  name: "config",
  start(init: ConfigInit) {
    const names = configEnvNames();
    const readable = new Set(names);
    // Read on every call so a reload sees the current environment; names the
    // worker may not read count as unset.
    const env = () => readEnv(names, (name) => Deno.env.get(name));
    const configPath = () => {
      const vars = env();
      const explicit = init.path ?? (vars.MCPCHAT_CONFIG?.trim() || undefined);
      return { path: explicit ?? defaultConfigPath(vars), explicit: explicit !== undefined };
    };
    const load = (params?: ConfigLoadParams): Promise<LoadConfigResult> =>
      loadConfig({ path: params?.path ?? init.path, env: env(), readableEnv: readable });
    return {
      handlers: {
        load,
        validate: (params: { path: string }): Promise<ValidationReport> =>
          validateConfigFile(params.path, { env: env() }),
        show: async (params?: ConfigLoadParams): Promise<string> => {
          const { config, sources } = await load(params);
          return formatConfig(config, { sources });
        },
        path: (): { path: string; explicit: boolean } => configPath(),
        watch: (
          params: ConfigLoadParams | undefined,
          call: CallContext,
        ): AsyncGenerator<ConfigUpdate> =>
          watchConfig({
            load: () => load(params),
            configPath: params?.path ?? configPath().path,
            signal: call.signal,
          }),
        planServerEdit: async (edit: ServerEdit): Promise<PlannedEdit> => {
          let serverOrigins: Record<string, string> = {};
          if (edit.op === "remove" && edit.file === undefined) {
            try {
              serverOrigins = (await load()).serverOrigins;
            } catch (error) {
              // A broken config can still have a server removed from the main file.
              if (!(error instanceof ConfigError)) throw error;
            }
          }
          return planServerEdit(edit, {
            configPath: configPath().path,
            serverOrigins,
            readTextFile: (path) => readConfigText(path),
          });
        },
      },
    };
  },
});

serveWorker(configPlugin);
