// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors

// Loaded with `node --import` before the SDK's elicitationUrlExample.js
// (tests/test-bridge-elicitation.c), to make the example do what it is
// written to show. Two things keep it from it with SDK 1.32.2:
//
// 1. Its GET handler sends the API key elicitation/create after
//    `await transport.handleRequest(req, res)`, expecting that to return
//    once the standalone stream is open. Since the SDK serves Node.js
//    through @hono/node-server, handleRequest returns only when the
//    response body ends: the elicitation goes out when the client's
//    stream closes (at the end of the session), and is lost. Here a GET's
//    handleRequest returns once the stream's headers are written, as the
//    example expects; the stream goes on.
//
// 2. Its tools payment-confirm and third-party-auth throw
//    URLElicitationRequiredError (-32042) on every call, even after the
//    user completed the elicitation the last one asked for: they are demos
//    of the error, not of the retry. A client that sends a request again
//    once its elicitations are complete, as MCP 2025-11-25 suggests and
//    mcp-consent-bridge does, gets -32042 again, with a new elicitation,
//    each time. Here they have the memory a real server has: a call made
//    again in the same session with the same arguments, after the server
//    sent notifications/elicitation/complete for every elicitation of its
//    last error, succeeds with a text result; any other call runs the
//    example's own code. Each call is logged ("mc-test: TOOL called"), so
//    that a test can count them.
//
// Nothing else changes: the example's authorization, pages, messages and
// completion notifications are its own.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';

// 1. {{{1

const handleRequest = StreamableHTTPServerTransport.prototype.handleRequest;
StreamableHTTPServerTransport.prototype.handleRequest = function (req, res, parsedBody) {
  const handled = handleRequest.call(this, req, res, parsedBody);

  if (req.method !== 'GET')
    return handled;

  return new Promise((resolve, reject) => {
    const writeHead = res.writeHead;

    res.writeHead = function (...args) {
      const result = writeHead.apply(this, args);

      resolve();
      return result;
    };
    handled.then(resolve, reject);
  });
};

// 2. {{{1

// Elicitation ids the server said were complete.
const completed = new Set();
// JSON [session, tool, arguments] → the elicitation ids its last error asked for.
const waiting = new Map();

const createNotifier = Server.prototype.createElicitationCompletionNotifier;
Server.prototype.createElicitationCompletionNotifier = function (elicitationId, ...rest) {
  const notify = createNotifier.call(this, elicitationId, ...rest);

  return (...args) => {
    completed.add(elicitationId);
    return notify(...args);
  };
};

const registerTool = McpServer.prototype.registerTool;
McpServer.prototype.registerTool = function (name, config, callback) {
  return registerTool.call(this, name, config, async (args, extra) => {
    const key = JSON.stringify([extra.sessionId, name, args]);
    const ids = waiting.get(key);

    console.log(`mc-test: ${name} called`);
    if (ids !== undefined && ids.every(id => completed.has(id))) {
      waiting.delete(key);
      return { content: [{ type: 'text', text: `${name}: done, after the URL elicitation` }] };
    }

    try {
      return await callback(args, extra);
    } catch (error) {
      if (error instanceof UrlElicitationRequiredError)
        waiting.set(key, error.elicitations.map(elicitation => elicitation.elicitationId));
      throw error;
    }
  });
};
