import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { withContext } from '../support/with-context.js';

// The manifest's bot scopes must be exactly the scopes the code needs: a missing one breaks a
// feature in production only; an unused one is access nobody reviewed. Needs come from the Slack
// Web API methods the code calls, the slash command and the subscribed events.

const repo = fileURLToPath(new URL('../../', import.meta.url));
// lib/testkit implements a fake Slack API: it names methods but never calls them.
const SCANNED = ['lib', 'handlers', 'bin'];
const NOT_CALLERS = ['lib/testkit'];

/** Bot scopes per Web API method (api.slack.com/methods); null: no scope needed. */
const METHOD_SCOPES: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'conversations.join': 'channels:join',
  'conversations.info': 'channels:read',
  'conversations.list': 'channels:read',
  'conversations.history': 'channels:history',
  'conversations.replies': 'channels:history',
  'reactions.add': 'reactions:write',
  'users.info': 'users:read',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
  'views.publish': null,
};
const EVENT_SCOPES: Record<string, string> = { channel_created: 'channels:read' };
const API_NAMESPACES = 'admin|apps|auth|bookmarks|bots|calls|chat|conversations|dnd|emoji|files|pins|reactions|reminders|team|usergroups|users|views';
// `client.chat.postMessage(` and `apiCall('chat.postMessage'`.
// Method names called by name may nest (`apiCall('usergroups.users.list'`).
const CALL = new RegExp(`\\.(?:${API_NAMESPACES})\\.\\w+\\(|apiCall\\(\\s*['"\`](?:${API_NAMESPACES})(?:\\.\\w+)+['"\`]`, 'g');

interface Manifest {
  features: { slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
}

let manifest: Manifest;
let sources: { path: string; text: string }[] = [];

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return Promise.resolve(entry.name.endsWith('.ts') ? [path] : []);
    }),
  );
  return files.flat();
}

/** Array methods no Slack method is named after (conversations.join is one, so not every array method). */
const ARRAY_CALLS = new Set(['push', 'map', 'flatMap', 'filter', 'some', 'every', 'find', 'findIndex', 'forEach', 'reduce', 'sort', 'slice']);

function methodsCalled(text: string): string[] {
  // `out.admin.push(` and `set.admin.map(` are arrays, not Slack's admin.* API.
  return [...text.matchAll(CALL)]
    .map((match) => match[0].replace(/^\.|\($|^apiCall\(\s*['"`]|['"`]$/g, ''))
    .filter((method) => !ARRAY_CALLS.has(method.slice(method.lastIndexOf('.') + 1)));
}

beforeAll(async () => {
  manifest = parse(await readFile(join(repo, 'slack/manifest.yml'), 'utf8')) as Manifest;
  const files = (await Promise.all(SCANNED.map((dir) => walk(join(repo, dir))))).flat();
  sources = await Promise.all(
    files
      .filter((file) => !NOT_CALLERS.some((prefix) => relative(repo, file).startsWith(prefix)))
      .map(async (path) => ({ path: relative(repo, path), text: await readFile(path, 'utf8') })),
  );
});

describe('Slack app manifest', () => {
  it('finds Slack method calls in the code (the scanner is not blind)', () => {
    expect(methodsCalled("await client.chat.postMessage({}); web.apiCall('users.info', {})")).toEqual(['chat.postMessage', 'users.info']);
    expect(methodsCalled('set.admin.map((p) => p); out.admin.push(x); client.conversations.join({})')).toEqual(['conversations.join']);
    expect(sources.some((source) => methodsCalled(source.text).includes('chat.postMessage'))).toBe(true);
  });

  it('requests exactly the bot scopes the code needs', () => {
    const needed = new Set<string>();
    const unmapped: string[] = [];
    for (const source of sources) {
      for (const method of methodsCalled(source.text)) {
        if (!(method in METHOD_SCOPES)) unmapped.push(`${method} (${source.path})`);
        const scope = METHOD_SCOPES[method];
        if (scope) needed.add(scope);
      }
    }
    withContext('Slack methods with no scope mapping in this test: add them to METHOD_SCOPES', () => expect(unmapped).toEqual([]));
    if (manifest.features.slash_commands.length > 0) needed.add('commands');
    for (const event of manifest.settings.event_subscriptions.bot_events) {
      const scope = EVENT_SCOPES[event];
      withContext(`no scope mapping for event ${event}`, () => expect(scope).toBeDefined());
      if (scope) needed.add(scope);
    }
    const granted = new Set(manifest.oauth_config.scopes.bot);
    expect({ missing: [...needed].filter((scope) => !granted.has(scope)), unused: [...granted].filter((scope) => !needed.has(scope)) }).toEqual({
      missing: [],
      unused: [],
    });
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
  });

  it('subscribes only to events and commands the Slack handler listens for', () => {
    const handlerCode = sources.map((source) => source.text).join('\n');
    for (const event of manifest.settings.event_subscriptions.bot_events) {
      expect(handlerCode).toContain(`app.event('${event}'`);
    }
    for (const { command } of manifest.features.slash_commands) {
      expect(handlerCode).toContain(`app.command('${command}'`);
    }
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual(['/netcheck']);
  });

  it('sends slash commands to the lean /slack/commands route, events and interactivity to /slack/events', async () => {
    type Fn = { events: { httpApi: { method: string; path: string } }[] };
    const serverless = parse(await readFile(join(repo, 'serverless.yml'), 'utf8')) as { functions: { slack: Fn; slackCommands: Fn } };
    const commands = serverless.functions.slackCommands.events[0]?.httpApi;
    const events = serverless.functions.slack.events[0]?.httpApi;
    expect(commands).toEqual({ method: 'POST', path: '/slack/commands' });
    expect(events).toEqual({ method: 'POST', path: '/slack/events' });
    const url = (path?: string) => `https://<api-id>.execute-api.<region>.amazonaws.com${path}`;
    expect(manifest.features.slash_commands[0]?.url).toBe(url(commands?.path));
    expect(manifest.settings.event_subscriptions.request_url).toBe(url(events?.path));
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: url(events?.path) });
  });
});
