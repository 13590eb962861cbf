import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { VERSION } from '../../lib/version.js';

// One version source, package.json: the CLI's --version, the chart's version and appVersion (the
// image tag the chart deploys), the plain agent manifests' image tag and the CHANGELOG follow it.
// Bumping means `npm version <x.y.z> --no-git-tag-version`, then this test names what else to edit.

const repo = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string> };

describe('one version', () => {
  it('the CLI, the chart and the agent manifests carry the package version', () => {
    expect(VERSION).toBe(pkg.version);
    const chart = parse(read('deploy/helm/netcheck/Chart.yaml')) as { version: string; appVersion: string };
    expect({ chart: chart.version, appVersion: chart.appVersion }).toEqual({ chart: pkg.version, appVersion: pkg.version });
    const images = [...read('deploy/agent/daemonset.yaml').matchAll(/image:\s*\S+:(\S+)/g)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([pkg.version]));
  });

  it('the CHANGELOG has a section for it (or the version is still unreleased)', () => {
    const changelog = read('CHANGELOG.md');
    expect(changelog).toMatch(new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm'));
  });

  it('the krew manifest runs the bin npm installs as kubectl-netcheck', () => {
    // krew's template placeholders ({{ … }}) are not YAML; the bin line is plain.
    const manifest = read('deploy/krew/netcheck.yaml');
    const bin = /^\s+bin: (\S+)$/m.exec(manifest)?.[1];
    expect(bin).toBe(basename(pkg.bin['kubectl-netcheck']!));
    expect(manifest).toContain('name: netcheck');
  });
});
