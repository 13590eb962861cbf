import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { EXAMPLES_PATH, slackExamplesMarkdown } from '../../bin/slack-examples.js';

// docs/slack-messages.md is what the issue note quotes: it must show what the renderer does today.
describe('docs/slack-messages.md', () => {
  it('is what `npm run examples:slack` writes now (run it after changing a Slack renderer)', () => {
    expect(readFileSync(EXAMPLES_PATH, 'utf8')).toBe(slackExamplesMarkdown());
  });
});
