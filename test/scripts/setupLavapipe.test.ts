// scripts/setup-lavapipe.sh derives the bookworm-backports source from the machine's own bookworm
// entry (URI and keyring), in either apt format. `--print-source` shows the result without
// changing anything; HEED_APT_ETC points it at a hand-made apt configuration.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '..', '..', 'scripts', 'setup-lavapipe.sh');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** An apt configuration directory holding the given files (paths relative to it). */
function aptEtc(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'heed-apt-'));
  roots.push(root);
  mkdirSync(join(root, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

function printSource(etc: string): { status: number | null; out: string; err: string } {
  const r = spawnSync('bash', [SCRIPT, '--print-source'], { env: { ...process.env, HEED_APT_ETC: etc }, encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const stanza = (uri: string, key: string) =>
  `Types: deb\nURIs: ${uri}\nSuites: bookworm-backports\nComponents: main\n${key ? `Signed-By: ${key}\n` : ''}`;

describe('setup-lavapipe.sh backports source', () => {
  it('deb822: takes the URI and keyring of the bookworm stanza, not the security one', () => {
    const etc = aptEtc({
      'sources.list.d/debian.sources': [
        'Types: deb',
        'URIs: https://security.mirror.example/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        'Signed-By: /k/security.gpg',
        '',
        '# a comment line',
        'Types: deb deb-src',
        'URIs: https://mirror.example/debian https://second.example/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main contrib',
        'Signed-By: /usr/share/keyrings/mirror.gpg',
        '',
      ].join('\n'),
    });
    expect(printSource(etc)).toEqual({
      status: 0,
      out: stanza('https://mirror.example/debian', '/usr/share/keyrings/mirror.gpg'),
      err: '',
    });
  });

  it('deb822: keeps an inline key with its continuation lines; skips Enabled: no and deb-src-only stanzas', () => {
    const etc = aptEtc({
      'sources.list.d/a-off.sources':
        'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\nTypes: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n',
      'sources.list.d/b.sources':
        'Types: deb\nURIs: http://inline.example/debian\nSuites: bookworm\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n',
    });
    const key = '\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----';
    expect(printSource(etc).out).toBe(stanza('http://inline.example/debian', key));
  });

  it('one-line format: signed-by from the options, or none when the entry has none', () => {
    const withKey = aptEtc({
      'sources.list':
        '# deb http://commented.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k/m.gpg] http://proxy.local:3142/debian bookworm main\n',
    });
    expect(printSource(withKey).out).toBe(stanza('http://proxy.local:3142/debian', '/k/m.gpg'));
    const noKey = aptEtc({
      'sources.list.d/m.list': 'deb http://plain.example/debian bookworm main non-free\n',
      'sources.list.d/ignored.list.disabled': 'deb http://no.example/debian bookworm main\n',
    });
    expect(printSource(noKey).out).toBe(stanza('http://plain.example/debian', ''));
  });

  it('idempotent: an existing backports entry means nothing is added', () => {
    const etc = aptEtc({
      'sources.list': 'deb http://m.example/debian bookworm main\ndeb http://m.example/debian bookworm-backports main\n',
    });
    expect(printSource(etc)).toEqual({ status: 0, out: '# bookworm-backports is already configured\n', err: '' });
  });

  it('refuses, naming the files it read, when no bookworm entry exists (never a guessed URI)', () => {
    const etc = aptEtc({ 'sources.list': 'deb http://m.example/debian trixie main\n' });
    const r = printSource(etc);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`no enabled 'deb' entry for suite bookworm in ${etc}/sources.list`);
  });

  it('rejects unknown arguments', () => {
    const r = spawnSync('bash', [SCRIPT, '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument --bogus/);
    expect(execFileSync('bash', ['-n', SCRIPT]).toString()).toBe('');
  });
});
