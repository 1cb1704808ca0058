/**
 * `mcpchat completions bash|zsh|fish`: shell completion scripts for the
 * commands, their subcommands and the flags.
 *
 * @module
 */

import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";

/** Subcommands of each command, for completion. */
export const SUBCOMMANDS: Record<string, string[]> = {
  tools: ["list", "call"],
  resources: ["list", "read"],
  prompts: ["list", "get"],
  servers: ["list", "add", "remove", "test", "sandbox"],
  sessions: ["list", "show", "export", "import", "delete"],
  config: ["path", "show", "validate"],
  serve: [],
  doctor: [],
  health: [],
  completions: ["bash", "zsh", "fish"],
  help: [],
};

const FLAGS = [
  "--help",
  "--version",
  "--backend",
  "--model",
  "--continue",
  "--resume",
  "--list-sessions",
  "--config",
  "--print",
  "--output-format",
  "--max-turns",
  "--allow-tool",
  "--yes",
  "--no-save",
  "--system",
  "--json",
  "--color",
  "--no-color",
  "--profile-startup",
  "--format",
  "--stdio",
  "--http",
  "--host",
  "--port",
];

/**
 * The completion script for `shell`.
 *
 * @example
 * ```ts
 * import { completionScript } from "./completions.ts";
 * console.log(completionScript("bash").includes("complete -F _mcpchat mcpchat")); // true
 * ```
 */
export function completionScript(shell: "bash" | "zsh" | "fish"): string {
  const commands = Object.keys(SUBCOMMANDS);
  switch (shell) {
    case "bash":
      return `# mcpchat bash completion: eval "$(mcpchat completions bash)"
_mcpchat() {
  local cur prev cmd
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
    --output-format) COMPREPLY=( $(compgen -W "text json stream-json" -- "$cur") ); return ;;
    --format) COMPREPLY=( $(compgen -W "markdown json" -- "$cur") ); return ;;
    --color) COMPREPLY=( $(compgen -W "auto always never" -- "$cur") ); return ;;
    --config) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${FLAGS.join(" ")}" -- "$cur") ); return
  fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(" ")}" -- "$cur") ); return
  fi
  if [[ $COMP_CWORD -eq 2 ]]; then
    case "$cmd" in
${
        commands.filter((c) => SUBCOMMANDS[c].length).map((c) =>
          `      ${c}) COMPREPLY=( $(compgen -W "${SUBCOMMANDS[c].join(" ")}" -- "$cur") ) ;;`
        ).join("\n")
      }
    esac
  fi
}
complete -F _mcpchat mcpchat
`;
    case "zsh":
      return `#compdef mcpchat
# mcpchat zsh completion: mcpchat completions zsh > "\${fpath[1]}/_mcpchat"
_mcpchat() {
  local -a commands
  commands=(${commands.map((c) => `'${c}'`).join(" ")})
  if (( CURRENT == 2 )); then
    _alternative 'commands:command:compadd -a commands' 'flags:flag:compadd -- ${FLAGS.join(" ")}'
    return
  fi
  case "$words[2]" in
${
        commands.filter((c) => SUBCOMMANDS[c].length).map((c) =>
          `    ${c}) (( CURRENT == 3 )) && compadd -- ${SUBCOMMANDS[c].join(" ")} ;;`
        ).join("\n")
      }
  esac
  compadd -- ${FLAGS.join(" ")}
}
compdef _mcpchat mcpchat
`;
    case "fish":
      return `# mcpchat fish completion: mcpchat completions fish > ~/.config/fish/completions/mcpchat.fish
complete -c mcpchat -f
complete -c mcpchat -n "__fish_use_subcommand" -a "${commands.join(" ")}"
${
        commands.filter((c) => SUBCOMMANDS[c].length).map((c) =>
          `complete -c mcpchat -n "__fish_seen_subcommand_from ${c}" -a "${
            SUBCOMMANDS[c].join(" ")
          }"`
        ).join("\n")
      }
${FLAGS.map((f) => `complete -c mcpchat -l ${f.slice(2)}`).join("\n")}
complete -c mcpchat -l output-format -xa "text json stream-json"
complete -c mcpchat -l config -rF
`;
  }
}

/** Runs `mcpchat completions SHELL`. */
export function completionsCommand(ctx: CommandContext, words: string[]): number {
  const shell = words[0];
  if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
    throw new CommandError("completions needs a shell: bash, zsh or fish", ExitCode.Usage);
  }
  ctx.io.out(completionScript(shell));
  return ExitCode.Ok;
}
