/**
 * `deno task pretrain [--config FILE] [--preset NAME | --init DIR] [--data concentrated|random|full|PATH]
 * [--masking bert|bernoulli|concept|curriculum] [--steps N | --flops X] [--batch N] [--grad-accum K]
 * [--seq-len T] [--lr X] [--warmup X] [--out DIR] [--resume DIR] ...`: pre-trains a BERT with
 * masked-LM, by default (no arguments) a tiny one from scratch on the shipped Wikipedia sample
 * concentrated by the shipped ConceptNet, with concept masking.
 *
 * Writes to `--out` (default `runs/<timestamp>-<name>`): `config.json` (resolved), `metrics.jsonl`,
 * `metrics.csv`, `loss.svg`, `checkpoint/` (HuggingFace format + optimizer state), `summary.json`,
 * `summary.md`. Ctrl-C stops after the current step and saves a checkpoint; `--resume DIR`
 * continues it with the same losses an uninterrupted run has. Every setting is listed in
 * `tasks/pretrain/config.ts`; `--help` prints them.
 * @module
 */
import { main, parseFlags, UsageError } from "./_cli.ts";
import {
  configJson,
  DEFAULTS,
  type PretrainConfig,
  readConfigFile,
  resolveConfig,
  runName,
} from "./pretrain/config.ts";
import { runPretrain } from "./pretrain/run.ts";

type Kind = "string" | "number" | "strings" | "nullable-string" | "nullable-number";

// Each setting's flag kind; the flag is the key with "-" for "_".
const KINDS: Record<keyof PretrainConfig, Kind> = {
  name: "nullable-string",
  preset: "string",
  init: "nullable-string",
  corpus: "strings",
  conceptnet: "string",
  budget: "string",
  data: "string",
  masking: "string",
  steps: "nullable-number",
  flops: "nullable-number",
  flops_convention: "string",
  batch: "number",
  grad_accum: "number",
  seq_len: "number",
  max_predictions: "number",
  lr: "number",
  warmup: "number",
  weight_decay: "number",
  max_grad_norm: "number",
  seed: "number",
  backend: "string",
  eval_every: "number",
  eval_batches: "number",
  save_every: "number",
  log_every: "number",
  validation: "number",
  out: "nullable-string",
  cache: "string",
};

// What a resumed run may change: how it reports and where it runs, never what it computes.
const RESUMABLE = new Set<keyof PretrainConfig>(["backend", "eval_every", "save_every", "log_every", "out"]);

/** What the command line asks for. */
export interface PretrainArgs {
  config: string | null;
  resume: string | null;
  help: boolean;
  flags: Partial<PretrainConfig>;
}

/** Parses the flags; a bad flag or value is a UsageError naming it. */
export function parsePretrainArgs(args: string[]): PretrainArgs {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    config: { type: "string" },
    resume: { type: "string" },
    help: { type: "boolean" },
  };
  for (const [key, kind] of Object.entries(KINDS)) {
    options[key.replaceAll("_", "-")] = { type: "string", ...(kind === "strings" ? { multiple: true } : {}) };
  }
  const { values, positionals } = parseFlags("pretrain", args, options);
  if (positionals.length > 0) throw new UsageError(`pretrain: unexpected argument "${positionals[0]}"`);
  const flags: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(KINDS) as [keyof PretrainConfig, Kind][]) {
    const flag = `--${key.replaceAll("_", "-")}`;
    const raw = (values as Record<string, unknown>)[key.replaceAll("_", "-")];
    if (raw === undefined) continue;
    if (kind === "strings") flags[key] = (raw as string[]).flatMap((s) => s.split(",")).filter((s) => s);
    else if (kind === "number" || kind === "nullable-number") {
      const text = String(raw).trim();
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) {
        throw new UsageError(`pretrain: ${flag} must be a number, got "${raw}"`);
      }
      flags[key] = n;
    } else flags[key] = raw;
  }
  return {
    config: (values.config as string | undefined) ?? null,
    resume: (values.resume as string | undefined) ?? null,
    help: values.help === true,
    flags: flags as Partial<PretrainConfig>,
  };
}

/** The config and output directory of a command line (reading `--config` or the resumed run's). */
export async function resolveRun(args: PretrainArgs): Promise<{ config: PretrainConfig; out: string }> {
  if (args.resume) {
    if (args.config) throw new UsageError(`pretrain: --resume takes the run's own config; drop --config`);
    const saved = await readConfigFile(`${args.resume}/config.json`);
    for (const [key, value] of Object.entries(args.flags)) {
      const k = key as keyof PretrainConfig;
      if (!RESUMABLE.has(k) && JSON.stringify(value) !== JSON.stringify(saved[k])) {
        throw new UsageError(
          `pretrain: --${
            key.replaceAll("_", "-")
          } differs from the run being resumed; a resumed run may only change ${
            [...RESUMABLE].map((r) => `--${r.replaceAll("_", "-")}`).join(", ")
          }`,
        );
      }
    }
    const config = resolveConfig(saved, args.flags, `${args.resume}/config.json`);
    return { config, out: args.resume };
  }
  const file = args.config ? await readConfigFile(args.config) : {};
  const config = resolveConfig(file, args.flags, args.config ?? "config");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return { config, out: config.out ?? `runs/${stamp}-${runName(config)}` };
}

function help(): string {
  const lines = Object.entries(DEFAULTS).map(([k, v]) =>
    `  --${k.replaceAll("_", "-")} (default ${JSON.stringify(v)})`
  );
  return [
    "deno task pretrain [--config FILE.json|.jsonc] [--resume RUN_DIR] [settings]",
    "Settings (flags win over the config file; the keys of a config file are the names with _):",
    ...lines,
  ].join("\n");
}

if (import.meta.main) {
  await main(async () => {
    const args = parsePretrainArgs(Deno.args);
    if (args.help) {
      console.log(help());
      return;
    }
    const { config, out } = await resolveRun(args);
    console.error(
      `pretrain: ${args.resume ? "resuming" : "writing"} ${out}\n${configJson(config).trimEnd()}`,
    );
    const abort = new AbortController();
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts > 1) Deno.exit(130);
      console.error(
        `\npretrain: Ctrl-C: finishing this step and saving a checkpoint (again to quit at once)`,
      );
      abort.abort();
    };
    Deno.addSignalListener("SIGINT", onInterrupt);
    try {
      const summary = await runPretrain(config, out, {
        signal: abort.signal,
        resume: args.resume !== null,
        command: ["deno task pretrain", ...Deno.args].join(" "),
      });
      if (summary.status === "interrupted") {
        console.error(`pretrain: resume with: deno task pretrain --resume ${out}`);
        Deno.exit(130);
      }
    } finally {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
  });
}
