import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniConfigFact, CniConfigFileFact, CniPluginFact } from '../model/index.js';

// Reads the node's CNI configuration directory the way the container runtime does (libcni's
// ConfFiles: .conf, .conflist and .json, sorted by name; containerd and CRI-O take the first), so
// a check can tell whether the active network's plugin chain handles hostPorts. Plain file reads
// of bounded size, parsed as JSON: nothing is executed, nothing from a request reaches a path.

export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';

/** The runtime's extensions (libcni ConfFiles with the CRI's list). */
const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'];
/** Real directories hold one to three; the bound keeps a directory of junk from growing the answer. */
export const MAX_CNI_CONFIG_FILES = 16;
/** A real conflist is a few hundred bytes; more than this is not a CNI config worth parsing. */
export const MAX_CNI_CONFIG_BYTES = 64 * 1024;

export interface CniConfigOptions {
  /** Directory standing in for /etc/cni/net.d. */
  dir?: string;
}

export async function readCniConfig(options: CniConfigOptions = {}): Promise<CniConfigFact> {
  const dir = options.dir ?? DEFAULT_CNI_CONF_DIR;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    return { dir, files: [], unknown: describeError(dir, error) };
  }
  // Byte order, as Go's sort.Strings orders them: the runtime's "first" is this list's first.
  const configs = names.filter((name) => CONFIG_EXTENSIONS.some((ext) => name.endsWith(ext))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: CniConfigFileFact[] = [];
  for (const file of configs.slice(0, MAX_CNI_CONFIG_FILES)) files.push(await readConfigFile(dir, file));
  return configs.length > MAX_CNI_CONFIG_FILES ? { dir, files, truncated: true } : { dir, files };
}

function describeError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `unknown, because ${path} does not exist (is the CNI configuration directory mounted into the agent?)`;
  if (code === 'EACCES' || code === 'EPERM') return `unknown, because ${path} is not readable (${code})`;
  if (code === 'ENOTDIR') return `unknown, because ${path} is not a directory`;
  return `unknown, because reading ${path} failed: ${(error as Error).message}`;
}

async function readBounded(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    const buffer = Buffer.alloc(MAX_CNI_CONFIG_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_CNI_CONFIG_BYTES) throw new Error(`larger than ${MAX_CNI_CONFIG_BYTES} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function plugin(raw: Json): CniPluginFact {
  const capabilities = raw.capabilities;
  return { type: raw.type as string, portMappings: isObject(capabilities) && capabilities.portMappings === true };
}

/** One file as libcni loads it: a .conflist is a named chain, anything else a single plugin. */
export function parseCniConfig(file: string, text: string): CniConfigFileFact {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { file, plugins: [], unknown: `unknown, because ${file} is not JSON (${(error as Error).message.slice(0, 120)})` };
  }
  if (!isObject(body)) return { file, plugins: [], unknown: `unknown, because ${file} holds no JSON object` };
  const name = typeof body.name === 'string' ? { name: body.name } : {};
  if (file.endsWith('.conflist')) {
    const plugins = body.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) return { file, ...name, plugins: [], unknown: `unknown, because ${file} lists no plugins` };
    const bad = plugins.findIndex((p) => !isObject(p) || typeof p.type !== 'string' || p.type === '');
    if (bad !== -1) return { file, ...name, plugins: [], unknown: `unknown, because plugin ${bad} of ${file} has no type` };
    return { file, ...name, plugins: (plugins as Json[]).map(plugin) };
  }
  // containerd refuses a .conf without a type (a conflist saved under the wrong extension).
  if (typeof body.type !== 'string' || body.type === '') return { file, ...name, plugins: [], unknown: `unknown, because ${file} names no plugin type` };
  return { file, ...name, plugins: [plugin(body)] };
}

async function readConfigFile(dir: string, file: string): Promise<CniConfigFileFact> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readBounded(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { file, plugins: [], unknown: code ? describeError(path, error) : `unknown, because ${path} is ${(error as Error).message}` };
  }
  return parseCniConfig(file, text);
}
