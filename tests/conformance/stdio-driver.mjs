// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors

// The MCP client in front of a stdio proxy under test (mcp-remote,
// mcp-consent-bridge): what a desktop MCP host does with a stdio server,
// scripted per conformance scenario.
//
//   node stdio-driver.mjs ADAPTER [ARG…] SERVER_URL
//
// The conformance suite runs this as the client under test: it appends the
// URL of the scenario's server and sets MCP_CONFORMANCE_SCENARIO (and, for
// some scenarios, MCP_CONFORMANCE_CONTEXT). The driver starts
// `ADAPTER [ARG…] SERVER_URL` — a script in clients/ that starts the proxy
// configured for the scenario — with pipes on its stdin and stdout, and
// speaks newline-delimited JSON-RPC to it (MCP's stdio transport):
//
//   initialize (protocol 2025-11-25, elicitation capability), then
//   notifications/initialized, tools/list, and the scenario's tool call:
//     tools_call                           add_numbers {a: 2, b: 3}
//     elicitation-sep1034-client-defaults  test_client_elicitation_defaults
//     sse-retry                            test_reconnection
//     auth/*                               test-tool
//   (initialize: none), then closes the proxy's stdin.
//
// Requests the server sends through the proxy are answered as an MCP host
// with form elicitation does: elicitation/create is accepted with the
// schema's default values (SEP-1034: the SDK's `applyDefaults`, so the
// scenario checks that the proxy relays the request and the answer
// faithfully), ping with {}, roots/list with no roots, anything else with
// "method not found".
//
// Exit 0 when every request was answered with a result; 1 with the reason
// on stderr otherwise. Logs what it sends and receives (methods and ids,
// not bodies) on stderr, where the suite keeps it (stderr.txt). The proxy
// runs in a process group of its own, which the driver ends when it is
// done, when a deadline passes, or when it is itself terminated (the suite
// sends SIGTERM at its timeout). Needs nothing but Node.js (18 or later).

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const PROTOCOL_VERSION = '2025-11-25';
// Below the suite's own timeout for the client, so that the reason comes
// from here: run-conformance.mjs sets it 15 s shorter.
const REQUEST_TIMEOUT_MS = Number(process.env.MC_CONFORMANCE_DRIVER_TIMEOUT_MS) || 45000;
// How long the proxy gets to exit once its stdin is closed.
const EXIT_GRACE_MS = 3000;

const scenario = process.env.MCP_CONFORMANCE_SCENARIO || '';
const started = Date.now();

function log (message) {
  process.stderr.write(`driver +${Date.now() - started}ms: ${message}\n`);
}

// The tool each scenario needs called, with its arguments.
function toolCallFor (name) {
  if (name === 'tools_call')
    return { name: 'add_numbers', arguments: { a: 2, b: 3 } };
  if (name === 'elicitation-sep1034-client-defaults')
    return { name: 'test_client_elicitation_defaults', arguments: {} };
  if (name === 'sse-retry')
    return { name: 'test_reconnection', arguments: {} };
  if (name.startsWith('auth/'))
    return { name: 'test-tool', arguments: {} };
  return null;
}

// SEP-1034: what a client that applies defaults answers when the user
// changes nothing.
function defaultsOf (schema) {
  const content = {};
  const properties = schema && typeof schema === 'object' ? schema.properties : null;
  for (const [key, property] of Object.entries(properties || {})) {
    if (property && typeof property === 'object' && 'default' in property)
      content[key] = property.default;
  }
  return content;
}

class Proxy {
  constructor (argv) {
    this.pending = new Map();
    this.nextId = 1;
    this.exited = null;
    this.child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true
    });
    this.exitPromise = new Promise(resolve => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        log(`proxy exited (${signal ? `signal ${signal}` : `status ${code}`})`);
        for (const { reject } of this.pending.values())
          reject(new Error(`the proxy exited (${signal ? `signal ${signal}` : `status ${code}`}) before answering`));
        this.pending.clear();
        resolve();
      });
    });
    this.child.on('error', error => {
      log(`cannot start ${argv[0]}: ${error.message}`);
      this.exited = { code: -1, signal: null };
    });
    this.child.stdin.on('error', () => {});
    createInterface({ input: this.child.stdout }).on('line', line => this.onLine(line));
  }

  send (message) {
    if (this.exited !== null || this.child.stdin.destroyed)
      return;
    this.child.stdin.write(JSON.stringify(message) + '\n');
  }

  request (method, params) {
    const id = this.nextId++;
    log(`→ ${method} (id ${id})`);
    return new Promise((resolve, reject) => {
      if (this.exited !== null) {
        reject(new Error('the proxy is not running'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: value => { clearTimeout(timer); resolve(value); },
        reject: error => { clearTimeout(timer); reject(error); }
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify (method, params) {
    log(`→ ${method}`);
    this.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  onLine (line) {
    if (line.trim() === '')
      return;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      log(`← not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (message.method !== undefined && message.id !== undefined) {
      this.answer(message);
    } else if (message.method !== undefined) {
      log(`← ${message.method}`);
    } else if (this.pending.has(message.id)) {
      const { resolve, reject } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) {
        log(`← error for id ${message.id}: ${message.error.code} ${message.error.message}`);
        reject(new Error(`error ${message.error.code}: ${message.error.message}`));
      } else {
        log(`← result for id ${message.id}`);
        resolve(message.result);
      }
    } else {
      log(`← answer to an unknown id ${JSON.stringify(message.id)}`);
    }
  }

  // A request from the server, relayed by the proxy.
  answer (message) {
    log(`← ${message.method} (server request ${JSON.stringify(message.id)})`);
    let reply;
    if (message.method === 'elicitation/create') {
      const params = message.params || {};
      if (params.mode === undefined || params.mode === 'form')
        reply = { result: { action: 'accept', content: defaultsOf(params.requestedSchema) } };
      else
        reply = { result: { action: 'decline' } };
    } else if (message.method === 'ping') {
      reply = { result: {} };
    } else if (message.method === 'roots/list') {
      reply = { result: { roots: [] } };
    } else {
      reply = { error: { code: -32601, message: `Method not found: ${message.method}` } };
    }
    log(`→ answer to ${message.method}`);
    this.send({ jsonrpc: '2.0', id: message.id, ...reply });
  }

  // Ends the proxy's whole process group: stdin closed first, as a host
  // does; SIGTERM if it is still there after a grace period.
  async stop () {
    if (this.exited === null) {
      this.child.stdin.end();
      await Promise.race([this.exitPromise, new Promise(resolve => setTimeout(resolve, EXIT_GRACE_MS))]);
    }
    this.kill('SIGTERM');
  }

  kill (signal) {
    if (this.child.pid === undefined)
      return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Gone already.
    }
  }
}

async function run (proxy) {
  const init = await proxy.request('initialize', {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: { elicitation: {} },
    clientInfo: { name: 'mcp-consent-conformance-driver', version: '1.0.0' }
  });
  log(`server: ${init?.serverInfo?.name ?? '?'} ${init?.serverInfo?.version ?? ''}, protocol ${init?.protocolVersion}`);
  proxy.notify('notifications/initialized');

  const { tools } = await proxy.request('tools/list', {});
  log(`tools: ${(tools || []).map(tool => tool.name).join(', ')}`);

  const call = toolCallFor(scenario);
  if (call === null)
    return;
  if (!(tools || []).some(tool => tool.name === call.name))
    throw new Error(`the server lists no tool ${call.name}`);
  const result = await proxy.request('tools/call', call);
  const text = (result?.content || []).filter(item => item.type === 'text').map(item => item.text).join(' ');
  log(`${call.name}: ${result?.isError ? 'error: ' : ''}${text.slice(0, 200)}`);
  if (result?.isError)
    throw new Error(`${call.name} answered with an error: ${text}`);
}

async function main () {
  const argv = process.argv.slice(2);
  if (argv.length < 2) {
    process.stderr.write('Usage: node stdio-driver.mjs ADAPTER [ARG…] SERVER_URL\n');
    return 2;
  }

  log(`scenario ${scenario || '(none)'}: ${argv.join(' ')}`);
  const proxy = new Proxy(argv);
  const stop = () => {
    proxy.kill('SIGTERM');
    process.exit(1);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  let status = 0;
  try {
    await run(proxy);
  } catch (error) {
    process.stderr.write(`driver: ${error.message}\n`);
    status = 1;
  }
  await proxy.stop();
  return status;
}

main().then(status => {
  process.exitCode = status;
}, error => {
  process.stderr.write(`driver: ${error.stack || error}\n`);
  process.exitCode = 1;
});
