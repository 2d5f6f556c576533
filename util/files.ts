/**
 * Questions about paths, asked one way everywhere: does it exist, is it a file, and "it must be a
 * directory" with a one-line error naming it.
 * @module
 */

/**
 * Whether anything (file, directory, link target) exists at `path`.
 *
 * @example
 * ```ts
 * import { exists } from "./files.ts";
 * await exists("deno.json"); // true
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Whether `path` is a regular file (false when nothing is there). */
export async function isFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile ?? false;
}

/** Whether `path` is a directory (false when nothing is there). */
export async function isDirectory(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory ?? false;
}

// Nothing there: no such entry, or a file where a directory of the path should be.
async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw error;
  }
}

/**
 * Checks that `dir` is a directory.
 *
 * @throws {Error} `<action> "<dir>": no such directory` (or `not a directory`)
 */
export async function requireDirectory(dir: string, action: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such directory" : (error as Error).message;
    throw new Error(`${action} "${dir}": ${reason}`);
  }
  if (!info.isDirectory) throw new Error(`${action} "${dir}": not a directory`);
}

/**
 * Checks that something exists at `path`, given as `what` (a setting's name).
 *
 * @throws {Error} `Cannot read <what> <path>: no such file or directory`
 */
export async function requirePath(path: string, what: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : (error as Error).message;
    throw new Error(`Cannot read ${what} ${path}: ${why}`);
  }
}

/**
 * The JSON value in `path`, or null when there is no such file.
 *
 * @throws {Error} `Cannot read <path>: <why>` when the file cannot be read or is not JSON
 */
export async function readJsonFile<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
}
