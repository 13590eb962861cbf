import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { LineCounter, parseDocument } from 'yaml';
import { CODES, type Silence } from '../model/index.js';

// The silence file: `.netcheck.yaml` for the CLI, the chart's `silences` value for the worker
// (rendered into a ConfigMap), one format for both. Every silence names what it covers (codes,
// an object, or both), why, and optionally until when; a mistake is reported with the file, the
// line and the field, and nothing of a broken file is used — a half-read silence list would mute
// less, or more, than its author meant.
//
//   silences:
//     - id: payments-selector            # optional; default "<file>#<n>"
//       codes: [selector-matches-no-pods]
//       namespace: shop
//       name: payments                   # or /regex/
//       kind: service
//       labels: { team: payments }
//       reason: fix tracked in OPS-123   # required
//       expires: 2026-12-31              # ISO date or date-time; absent = until removed

const SUBJECT_KINDS = ['namespace', 'service', 'pod', 'node', 'port', 'networkpolicy', 'daemonset', 'dns', 'ip'] as const;
const knownCodes = new Set<string>(CODES);

const namePattern = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    if (value.length > 2 && value.startsWith('/') && value.endsWith('/')) {
      try {
        new RegExp(value.slice(1, -1));
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }
  });

const expiry = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be an ISO 8601 date (2026-12-31) or date-time (2026-12-31T18:00:00Z)' });

const silenceEntry = z
  .strictObject({
    id: z.string().min(1).max(200).optional(),
    codes: z
      .array(z.string().refine((code) => knownCodes.has(code), { error: (issue) => `unknown check code "${String(issue.input)}" (the codes are in the README's check table)` }))
      .optional(),
    kind: z.enum(SUBJECT_KINDS).optional(),
    namespace: z.string().min(1).optional(),
    name: namePattern.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    reason: z
      .string({ error: 'required: say why, the next person reading the report will ask' })
      .trim()
      .min(1, 'must not be empty: say why, the next person reading the report will ask'),
    expires: expiry.optional(),
  })
  .refine((s) => (s.codes?.length ?? 0) > 0 || s.kind !== undefined || s.namespace !== undefined || s.name !== undefined || Object.keys(s.labels ?? {}).length > 0, {
    error: 'a silence must name codes or an object (kind, namespace, name or labels); one that names nothing would mute everything',
  });

export const silenceFileSchema = z.strictObject({ silences: z.array(silenceEntry).default([]) });
export type SilenceFile = z.infer<typeof silenceFileSchema>;

export class SilenceFileError extends Error {
  override name = 'SilenceFileError';
}

/** A bare date expires at the end of that day (UTC): "until 2026-12-31" includes the 31st. */
function expiresAt(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : new Date(value).toISOString();
}

/** Parse and validate the text of a silence file; `origin` names it in errors and in `createdBy`. */
export function parseSilenceFile(text: string, origin: string): Silence[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    throw new SilenceFileError(`${origin}${at ? `:${at.line}:${at.col}` : ''}: ${syntax.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = silenceFileSchema.safeParse(raw);
  if (!parsed.success) {
    const messages = parsed.error.issues.slice(0, 5).map((issue) => {
      const path = issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '');
      // The deepest node the path still reaches carries the line.
      let line: number | undefined;
      for (let depth = issue.path.length; depth >= 0 && line === undefined; depth--) {
        const node = doc.getIn(issue.path.slice(0, depth) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) line = lines.linePos(node.range[0]).line;
      }
      return `${origin}${line ? `:${line}` : ''}: ${path || '(top level)'}: ${issue.message}`;
    });
    const more = parsed.error.issues.length - messages.length;
    throw new SilenceFileError(messages.join('\n') + (more > 0 ? `\n…and ${more} more` : ''));
  }
  const seen = new Set<string>();
  return parsed.data.silences.map((entry, index) => {
    const id = entry.id ?? `${origin}#${index + 1}`;
    if (seen.has(id)) throw new SilenceFileError(`${origin}: silences[${index}].id: "${id}" is used twice; ids must be unique (they name a silence in reports)`);
    seen.add(id);
    return {
      id,
      ...(entry.codes?.length ? { codes: entry.codes } : {}),
      ...(entry.kind ? { kind: entry.kind } : {}),
      ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
      ...(entry.name !== undefined ? { name: entry.name } : {}),
      ...(entry.labels && Object.keys(entry.labels).length ? { labels: entry.labels } : {}),
      reason: entry.reason,
      ...(entry.expires ? { expiresAt: expiresAt(entry.expires) } : {}),
      createdBy: `file ${origin}`,
    };
  });
}

/** Read a silence file; a missing file is an error here (the caller decides whether absence is fine). */
export async function loadSilenceFile(path: string, origin = path): Promise<Silence[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SilenceFileError(`${origin}: cannot read the silence file (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
  }
  return parseSilenceFile(text, origin);
}
