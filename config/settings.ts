/**
 * Settings, defined once: a zod object schema is the single list of a command's settings (type,
 * default, allowed values, a one-line `.describe()`), and everything else is generated from it:
 * the flags (`--grad-accum`), the keys of a JSON/JSONC config file (`"grad_accum"`), `--help`, and
 * the checks a library function applies to the settings it is given from code.
 *
 * Settings are resolved from layers, later layers winning: the defaults, then a config file, then
 * flags (nanoGPT's order). An unknown key, a value of the wrong type or outside its range is a
 * {@linkcode UsageError} naming where the value came from: `--steps`, `run.jsonc: "steps"`, or the
 * key itself for values given from code.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineSettings } from "./settings.ts";
 *
 * interface Demo { steps: number | null; lr: number }
 * const DEMO = defineSettings<Demo>()("demo", z.object({
 *   steps: z.number().int().positive().nullable().default(null).describe("optimizer steps"),
 *   lr: z.number().positive().default(1e-3).describe("peak learning rate"),
 * }).strict());
 * DEMO.resolve([{ source: "flags", values: { lr: 2e-4 } }]); // { steps: null, lr: 0.0002 }
 * ```
 * @module
 */
import { z } from "zod";
import { UsageError } from "./errors.ts";

/** How a setting's value is written on the command line and checked. */
export type FieldKind = "string" | "number" | "integer" | "boolean" | "choice" | "list" | "settings";

/** One setting, as help, flags and config files see it. */
export interface FieldInfo {
  /** The key in config files and in code (`grad_accum`). */
  readonly key: string;
  /** The flag (`--grad-accum`). */
  readonly flag: string;
  /** Its kind; a list's elements are described by `element`. */
  readonly kind: FieldKind;
  /** Whether `null` (on the command line `none`) is a value: "not set", "no cap", "automatic". */
  readonly nullable: boolean;
  /** The value when none is given. */
  readonly defaultValue: unknown;
  /** Whether a value must be given (the schema has no default). */
  readonly required: boolean;
  /** The allowed values of a `choice` (or of a list of choices). */
  readonly choices: readonly string[] | null;
  /** The elements of a `list`. */
  readonly element: FieldInfo | null;
  /** What is allowed, for people: "an integer >= 1", "one of bert, concept", "a number in [0, 1)". */
  readonly allowed: string;
  /** One line saying what the setting does. */
  readonly description: string;
  /** The placeholder in help: `N` (integer), `X` (number), `NAME` (choice), else the key in capitals. */
  readonly metavar: string;
  /** The settings of a `settings` field (a nested group, such as the experiment's `pretrain`). */
  readonly nested: SettingsSpec<unknown> | null;
}

/** Values from one source. */
export interface SettingsLayer {
  /** Where the values come from, for errors: flags, a config file, or code. */
  readonly source: "flags" | "file" | "code";
  /** The file's path, for `file`. */
  readonly name?: string;
  /** Values by key; a nested group's values are an object under its key. */
  readonly values: Readonly<Record<string, unknown>>;
}

/** A set of settings: its fields and how to resolve values into checked settings. */
export interface SettingsSpec<T> {
  /** The command or library the settings belong to. */
  readonly name: string;
  /** Every setting, in definition order. */
  readonly fields: readonly FieldInfo[];
  /** The setting of `key`, if there is one. */
  field(key: string): FieldInfo | undefined;
  /**
   * Settings given from code, the rest at their defaults, checked: how a library function takes
   * its settings.
   *
   * @throws {UsageError} naming the key for an unknown key, a bad value or a conflict
   */
  withDefaults(values: Partial<T>): T;
  /** The defaults alone. */
  defaults(): T;
  /**
   * Defaults, then each layer in order, checked.
   *
   * @throws {UsageError} naming the key and its source for an unknown key, a bad value or a
   * conflict between settings
   */
  resolve(layers: readonly SettingsLayer[]): T;
  /**
   * The same settings with other defaults, and some that may not be given (they keep their
   * defaults; the caller sets them): a group nested in another command's settings.
   */
  derive(options: DeriveOptions): SettingsSpec<T>;
}

/** Options of {@linkcode SettingsSpec.derive}. */
export interface DeriveOptions {
  /** Keys that may not be given, each with the reason the error gives ("is set per arm"). */
  readonly omit?: Readonly<Record<string, string>>;
  /** Defaults that replace the spec's own. */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/** What a cross-setting check can see. */
export interface CheckContext {
  /** Keys given by a command line or file, or from code with a value other than the default. */
  readonly given: ReadonlySet<string>;
  /** A key as its source names it: `--grad-accum`, `run.jsonc: "grad_accum"` or the key. */
  name(key: string): string;
}

/** Options of {@linkcode defineSettings}. */
export interface DefineOptions<T> {
  /**
   * Groups of settings of which at most one may be given; giving one turns the others' defaults
   * to `null` (`steps` and `flops`: the default is a FLOPs budget, `--steps` replaces it).
   */
  readonly exclusive?: readonly (readonly (keyof T & string)[])[];
  /** Nested groups: another spec's settings under one key (`pretrain: { ... }`). */
  readonly nested?: Readonly<Record<string, SettingsSpec<unknown>>>;
  /** Checks across settings; returns a one-line problem (naming keys with `name`) or null. */
  readonly check?: (settings: T, context: CheckContext) => string | null;
}

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false;

/**
 * Defines settings of type `T` from a strict zod object schema whose output is exactly `T` (the
 * compiler refuses a schema and interface that differ). Nested groups (`options.nested`) are
 * resolved by their own spec and are not part of the schema.
 */
export function defineSettings<T extends object>() {
  return <S extends z.ZodRawShape, N extends string = never>(
    name: string,
    schema:
      & z.ZodObject<S, "strict">
      & (Equal<z.output<z.ZodObject<S, "strict">>, Omit<T, N>> extends true ? unknown
        : { "the schema's output differs from the settings interface": never }),
    options: DefineOptions<T> & { nested?: Readonly<Record<N, SettingsSpec<unknown>>> } = {},
  ): SettingsSpec<T> => new Spec<T>(name, fieldsOf(schema, options.nested ?? {}), options, {});
}

class Spec<T> implements SettingsSpec<T> {
  readonly name: string;
  readonly fields: readonly FieldInfo[];
  readonly #all: { info: FieldInfo; schema: z.ZodTypeAny | null }[];
  readonly #schemas: Map<string, z.ZodTypeAny>;
  readonly #options: DefineOptions<T>;
  readonly #derived: DeriveOptions;

  constructor(
    name: string,
    fields: { info: FieldInfo; schema: z.ZodTypeAny | null }[],
    options: DefineOptions<T>,
    derived: DeriveOptions,
  ) {
    this.name = name;
    const omit = new Set(Object.keys(derived.omit ?? {}));
    const defaults = derived.defaults ?? {};
    this.fields = fields.filter((f) => !omit.has(f.info.key)).map((f) =>
      f.info.key in defaults ? { ...f.info, defaultValue: defaults[f.info.key] } : f.info
    );
    this.#schemas = new Map(fields.flatMap((f) => (f.schema ? [[f.info.key, f.schema]] : [])));
    this.#options = options;
    this.#derived = derived;
    this.#all = fields;
  }

  field(key: string): FieldInfo | undefined {
    return this.fields.find((f) => f.key === key);
  }

  defaults(): T {
    return this.resolve([]);
  }

  withDefaults(values: Partial<T>): T {
    return this.resolve([{ source: "code", values: values as Record<string, unknown> }]);
  }

  derive(options: DeriveOptions): SettingsSpec<T> {
    return new Spec<T>(this.name, this.#all, this.#options, {
      omit: { ...this.#derived.omit, ...options.omit },
      defaults: { ...this.#derived.defaults, ...options.defaults },
    });
  }

  resolve(layers: readonly SettingsLayer[]): T {
    return this.resolveNamed(layers, "");
  }

  /** {@linkcode resolve} with keys named under `prefix` (a nested group's `pretrain.`). */
  resolveNamed(layers: readonly SettingsLayer[], prefix: string): T {
    const source = new Map<string, SettingsLayer>();
    // A key no layer gave is named as its source would have: a flag on a command line.
    const fallback = layers.find((l) => l.source === "flags");
    const name = (key: string) => nameIn(source.get(key) ?? fallback, prefix + key, this.field(key));
    const defaultOf = (key: string) =>
      (this.field(key) ?? this.#all.find((f) => f.info.key === key)?.info)?.defaultValue;
    // Values from code may be whole resolved settings handed back: a value equal to its default
    // names nothing (it neither conflicts nor sets an omitted key).
    const names = (layer: SettingsLayer, key: string, value: unknown) =>
      layer.source !== "code" || JSON.stringify(value) !== JSON.stringify(defaultOf(key));
    for (const layer of layers) {
      for (const [key, value] of Object.entries(layer.values)) {
        if (this.field(key)) continue;
        const where = nameIn(layer, prefix + key, undefined);
        const omitted = this.#derived.omit?.[key];
        if (omitted !== undefined && !names(layer, key, value)) continue;
        if (omitted !== undefined) throw new UsageError(`${where} ${omitted}`);
        throw new UsageError(
          `${where} is not a setting of ${this.name}${suggestion(key, this.fields, layer.source)}`,
        );
      }
    }
    const given = new Set<string>();
    for (const layer of layers) {
      for (const [key, value] of Object.entries(layer.values)) {
        if (value === undefined || !this.field(key)) continue;
        if (names(layer, key, value)) given.add(key);
        source.set(key, layer);
      }
    }
    const values: Record<string, unknown> = {};
    // Omitted settings keep their defaults, for the caller to set.
    for (const { info } of this.#all) values[info.key] = structuredClone(info.defaultValue);
    for (const f of this.fields) values[f.key] = structuredClone(f.defaultValue);
    // Giving one of an exclusive group clears the others' defaults (and values handed back at them).
    const cleared: string[] = [];
    for (const group of this.#options.exclusive ?? []) {
      const named = group.filter((k) => given.has(k) && layerValue(layers, k) !== null);
      if (named.length > 1) {
        throw new UsageError(`give ${named.map(name).join(" or ")}, not both`);
      }
      if (named.length === 1) cleared.push(...group.filter((k) => k !== named[0] && this.field(k)?.nullable));
    }
    for (const key of cleared) values[key] = null;
    const nestedLayers = new Map<string, SettingsLayer[]>();
    for (const layer of layers) {
      for (const [key, value] of Object.entries(layer.values)) {
        const f = this.field(key);
        if (value === undefined || !f) continue;
        if (f.kind !== "settings") {
          values[key] = cleared.includes(key) ? null : value;
          continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          throw new UsageError(`${name(key)} must be an object of ${key} settings, got ${show(value)}`);
        }
        const list = nestedLayers.get(key) ?? [];
        list.push({ ...layer, values: value as Record<string, unknown> });
        nestedLayers.set(key, list);
      }
    }
    for (const f of this.fields) {
      if (f.kind === "settings") {
        const nested = f.nested as Spec<unknown>;
        values[f.key] = nested.resolveNamed(nestedLayers.get(f.key) ?? [], `${prefix}${f.key}.`);
        continue;
      }
      if (values[f.key] === undefined && f.required) {
        throw new UsageError(`${name(f.key)} is required: ${f.description || f.allowed}`);
      }
      const parsed = this.#schemas.get(f.key)!.safeParse(values[f.key]);
      if (!parsed.success) {
        throw new UsageError(`${name(f.key)} ${problem(f, values[f.key], parsed.error)}`);
      }
      values[f.key] = parsed.data;
    }
    const settings = values as T;
    const issue = this.#options.check?.(settings, { given, name });
    if (issue) throw new UsageError(issue);
    return settings;
  }
}

function layerValue(layers: readonly SettingsLayer[], key: string): unknown {
  let value: unknown;
  for (const layer of layers) if (layer.values[key] !== undefined) value = layer.values[key];
  return value;
}

/** `--pretrain.lr`, `run.jsonc: "pretrain.lr"`, or the key itself for code and defaults. */
function nameIn(layer: SettingsLayer | undefined, key: string, field: FieldInfo | undefined): string {
  if (layer?.source === "flags") {
    const dot = key.lastIndexOf(".");
    const flag = field?.flag ?? `--${key.slice(dot + 1).replaceAll("_", "-")}`;
    return dot < 0 ? flag : `--${key.slice(0, dot + 1)}${flag.slice(2)}`;
  }
  if (layer?.source === "file") return `${layer.name ?? "config"}: "${key}"`;
  return key;
}

function suggestion(key: string, fields: readonly FieldInfo[], source: SettingsLayer["source"]): string {
  const names = fields.map((f) => (source === "flags" ? f.flag : f.key));
  const wanted = source === "flags" ? `--${key.replaceAll("_", "-")}` : key;
  const close = names.filter((n) => editDistance(n, wanted) <= 2);
  return close.length > 0 ? ` (did you mean ${close.join(" or ")}?)` : `; see --help for the settings`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length]!;
}

/** "must be an integer >= 1, got -5", or the schema's own message for a custom rule. */
function problem(f: FieldInfo, value: unknown, error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue?.code === "custom") return `${issue.message}, got ${show(value)}`;
  const negative = typeof value === "number" && value < 0 && (f.kind === "number" || f.kind === "integer");
  return negative
    ? `cannot be negative: expected ${f.allowed}, got ${show(value)}`
    : `must be ${f.allowed}, got ${show(value)}`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

// ---------------------------------------------------------------------------------------------
// Reading the schema

function fieldsOf(
  schema: z.ZodObject<z.ZodRawShape>,
  nested: Readonly<Record<string, SettingsSpec<unknown>>>,
): { info: FieldInfo; schema: z.ZodTypeAny | null }[] {
  const fields: { info: FieldInfo; schema: z.ZodTypeAny | null }[] = Object.entries(schema.shape).map((
    [key, s],
  ) => ({ info: describeField(key, s), schema: s }));
  for (const [key, spec] of Object.entries(nested)) {
    fields.push({
      info: {
        key,
        flag: `--${key.replaceAll("_", "-")}`,
        kind: "settings",
        nullable: false,
        defaultValue: {},
        required: false,
        choices: null,
        element: null,
        allowed: `an object of ${spec.name} settings`,
        description: `${spec.name} settings (flags --${key}.NAME, or "${key}": {...} in a config file)`,
        metavar: "",
        nested: spec,
      },
      schema: null,
    });
  }
  return fields;
}

interface Unwrapped {
  base: z.ZodTypeAny;
  nullable: boolean;
  defaultValue: unknown;
  required: boolean;
  description: string | undefined;
}

function unwrap(schema: z.ZodTypeAny): Unwrapped {
  let s = schema;
  let nullable = false;
  let defaultValue: unknown = undefined;
  let required = true;
  let description = schema.description;
  for (;;) {
    description ??= s.description;
    if (s instanceof z.ZodDefault) {
      defaultValue = s._def.defaultValue();
      required = false;
      s = s._def.innerType;
    } else if (s instanceof z.ZodNullable) {
      nullable = true;
      s = s._def.innerType;
    } else if (s instanceof z.ZodOptional) {
      required = false;
      s = s._def.innerType;
    } else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return { base: s, nullable, defaultValue, required, description };
  }
}

function describeField(key: string, schema: z.ZodTypeAny): FieldInfo {
  const u = unwrap(schema);
  const element = u.base instanceof z.ZodArray ? describeField(key, u.base.element) : null;
  const kind = kindOf(u.base);
  const choices = u.base instanceof z.ZodEnum ? (u.base.options as string[]) : element?.choices ?? null;
  const allowed = allowedOf(u.base, element) + (u.nullable ? " or none" : "");
  return {
    key,
    flag: `--${key.replaceAll("_", "-")}`,
    kind,
    nullable: u.nullable,
    defaultValue: u.defaultValue,
    required: u.required,
    choices,
    element,
    allowed,
    description: u.description ?? "",
    metavar: kind === "integer"
      ? "N"
      : kind === "number"
      ? "X"
      : kind === "choice"
      ? "NAME"
      : kind === "list"
      ? `${element!.metavar},...`
      : key.toUpperCase(),
    nested: null,
  };
}

function kindOf(s: z.ZodTypeAny): FieldKind {
  if (s instanceof z.ZodNumber) return s.isInt ? "integer" : "number";
  if (s instanceof z.ZodBoolean) return "boolean";
  if (s instanceof z.ZodEnum) return "choice";
  if (s instanceof z.ZodArray) return "list";
  if (s instanceof z.ZodString) return "string";
  throw new TypeError(`Cannot describe a setting of zod type ${s._def.typeName}`);
}

function allowedOf(s: z.ZodTypeAny, element: FieldInfo | null): string {
  if (s instanceof z.ZodNumber) return numberRange(s);
  if (s instanceof z.ZodBoolean) return "true or false";
  if (s instanceof z.ZodEnum) return `one of ${(s.options as string[]).join(", ")}`;
  if (s instanceof z.ZodArray) {
    const least = s._def.minLength?.value ?? 0;
    const count = least > 0 ? `${least} or more ` : "";
    return element!.choices
      ? `a list of ${count}values from ${element!.choices.join(", ")}`
      : `a list of ${count}${plural(element!.allowed)}`;
  }
  if (s instanceof z.ZodString) {
    const regex = s._def.checks.find((c) => c.kind === "regex");
    if (regex?.message) return regex.message;
    return s.minLength !== null && s.minLength > 0 ? "a non-empty string" : "a string";
  }
  return "a value";
}

function numberRange(s: z.ZodNumber): string {
  const what = s.isInt ? "integer" : "number";
  let min: { value: number; inclusive: boolean } | null = null;
  let max: { value: number; inclusive: boolean } | null = null;
  for (const c of s._def.checks) {
    if (c.kind === "min") min = { value: c.value, inclusive: c.inclusive };
    if (c.kind === "max") max = { value: c.value, inclusive: c.inclusive };
  }
  if (min && max) {
    return `${s.isInt ? "an integer" : "a number"} in ${min.inclusive ? "[" : "("}${min.value}, ${max.value}${
      max.inclusive ? "]" : ")"
    }`;
  }
  if (min) {
    if (s.isInt && min.value === 0 && !min.inclusive) return "a positive integer";
    if (s.isInt && min.value === 1 && min.inclusive) return "a positive integer";
    if (!s.isInt && min.value === 0 && !min.inclusive) return "a positive number";
    return `${s.isInt ? "an" : "a"} ${what} ${min.inclusive ? ">=" : ">"} ${min.value}`;
  }
  if (max) return `${s.isInt ? "an" : "a"} ${what} ${max.inclusive ? "<=" : "<"} ${max.value}`;
  return s.isInt ? "an integer" : "a number";
}

/** "a positive number" -> "positive numbers", "an integer >= 0" -> "integers >= 0". */
function plural(allowed: string): string {
  return allowed.replace(/^an? ((?:positive |non-empty )?(?:integer|number|string))/, "$1s");
}
