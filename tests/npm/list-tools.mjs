// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors

// A real MCP client, the official TypeScript SDK's: connects to the
// Streamable HTTP server at URL with the access token the broker handed
// out, lists the tools and prints their names, one per line.
//
//   node list-tools.mjs URL < token
//
// The token comes on stdin, never in argv or the environment of a
// command line others can read (/proc/PID/cmdline is world-readable).
// Exit 0 when the tools were listed; 1 with the reason on stderr when not.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// Shorter than the test's own deadline, so the reason comes from here.
const TIMEOUT_MS = 20000;

async function readStdin () {
  const chunks = [];
  for await (const chunk of process.stdin)
    chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function main () {
  if (process.argv.length !== 3) {
    console.error('Usage: node list-tools.mjs URL < token');
    return 1;
  }

  const token = await readStdin();
  if (token === '') {
    console.error('list-tools: no token on stdin');
    return 1;
  }

  const transport = new StreamableHTTPClientTransport(new URL(process.argv[2]), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } }
  });
  const client = new Client({ name: 'mcp-consent-e2e', version: '1.0.0' });

  await client.connect(transport);
  const { tools } = await client.listTools();
  for (const tool of tools)
    console.log(tool.name);
  await client.close();
  return 0;
}

const timer = setTimeout(() => {
  console.error(`list-tools: no answer within ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);

main().then(status => {
  clearTimeout(timer);
  process.exitCode = status;
}, error => {
  clearTimeout(timer);
  // The message only: an SDK error can carry the request, headers included.
  console.error(`list-tools: ${error.message}`);
  process.exitCode = 1;
});
