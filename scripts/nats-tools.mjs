// Fetches Debian unstable's nats-server into the git-ignored .tools/ folder, with a private apt configuration that
// leaves the system's apt alone. The tests default to this binary (shared/nats/server-bin.ts looks for
// .tools/bin/nats-server); the system's nats-server stays for the compatibility run.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
const LINK = join(TOOLS, 'bin', 'nats-server');
const MIN_VERSION = [2, 12];
const SUITE = 'unstable';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Makes sure .tools/bin/nats-server is a nats-server ≥ 2.12; returns one line saying what it did. */
export function provisionNatsTools() {
  if (existsSync(LINK)) {
    const version = checkedVersion(LINK);
    return `provision: nats-server ${version} already in ${relative(ROOT, LINK)}`;
  }
  const apt = privateApt();
  apt.run('update');
  const debDir = mkdtempSync(join(apt.dir, 'deb-'));
  apt.run('download', `nats-server/${SUITE}`, { cwd: debDir });
  const deb = join(
    debDir,
    readdirSync(debDir).find((f) => f.endsWith('.deb')) ?? fail(`apt-get download left no .deb in ${debDir}`),
  );
  const version = execFileSync('dpkg-deb', ['-f', deb, 'Version'], { encoding: 'utf8' }).trim();
  const target = join(TOOLS, 'nats-server', version);
  const staging = mkdtempSync(join(apt.dir, 'x-'));
  execFileSync('dpkg-deb', ['-x', deb, staging]);
  const bin = ['usr/sbin/nats-server', 'usr/bin/nats-server'].find((p) => existsSync(join(staging, p)));
  if (bin === undefined) fail(`the ${SUITE} package ${version} holds no usr/sbin/nats-server or usr/bin/nats-server`);
  const serverVersion = checkedVersion(join(staging, bin));
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(staging, target);
  mkdirSync(dirname(LINK), { recursive: true });
  symlinkSync(relative(dirname(LINK), join(target, bin)), LINK);
  rmSync(debDir, { recursive: true, force: true });
  return `provision: fetched nats-server ${serverVersion} (Debian ${SUITE} package ${version}) into ${relative(ROOT, LINK)}`;
}

/** apt-get with its own sources list, lists, cache and (empty) dpkg status under .tools/apt. */
function privateApt() {
  const dir = join(TOOLS, 'apt');
  for (const sub of ['sources.list.d', 'state/lists/partial', 'cache/archives/partial'])
    mkdirSync(join(dir, sub), { recursive: true });
  const sources = join(dir, 'sources.list');
  writeFileSync(sources, `deb [signed-by=${KEYRING}] ${systemMirror()} ${SUITE} main\n`);
  const status = join(dir, 'state', 'status');
  if (!existsSync(status)) writeFileSync(status, '');
  const options = {
    'Dir::Etc::SourceList': sources,
    'Dir::Etc::SourceParts': join(dir, 'sources.list.d'),
    'Dir::State': join(dir, 'state'),
    'Dir::State::Status': status,
    'Dir::Cache': join(dir, 'cache'),
    // Pins in the system's preferences are about the system's suites, not this one.
    'Dir::Etc::Preferences': join(dir, 'preferences'),
    'Dir::Etc::PreferencesParts': join(dir, 'sources.list.d'),
  };
  const args = Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  return {
    dir,
    run(command, pkg, { cwd } = {}) {
      const argv = ['-q', ...args, command, ...(pkg ? [pkg] : [])];
      try {
        execFileSync('apt-get', argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      } catch (err) {
        fail(
          `apt-get ${command} ${pkg ?? ''} (private configuration in ${relative(ROOT, dir)}) failed:\n${err.stderr || err.stdout || err.message}`,
        );
      }
    },
  };
}

/** The Debian mirror the machine's own sources use, so the fetch works where only that host is reachable. */
function systemMirror() {
  const files = [
    '/etc/apt/sources.list',
    ...listDir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)),
  ];
  for (const file of files) {
    const text = readText(file);
    const match = /^(?:URIs:|deb(?:\s+\[[^\]]*\])?)\s+(https?:\/\/\S+?\/debian)\/?(?:\s|$)/m.exec(text);
    if (match) return match[1];
  }
  return DEFAULT_MIRROR;
}

function checkedVersion(bin) {
  let out;
  try {
    out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  } catch (err) {
    fail(
      `${relative(ROOT, bin)} --version failed (${err.message.split('\n')[0]}); delete ${relative(ROOT, TOOLS)} and run provision again`,
    );
  }
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(out);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    fail(`${relative(ROOT, bin)} reports "${out.trim()}"; the tests need nats-server ≥ ${MIN_VERSION.join('.')}`);
  }
  return match[0].replace(/^v/, '');
}

function listDir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function fail(message) {
  throw new Error(message);
}
