// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors

// Loaded with `node --require` before the SDK's example server and client.
// The SDK says it runs on Node.js 18, but its Streamable HTTP server calls
// the global `crypto.randomUUID()` (server/webStandardStreamableHttp.js),
// which Node.js defines only from 19 on: on 18, Debian 12's, every MCP
// request fails with "ReferenceError: crypto is not defined". Node.js 18
// has the same Web Crypto object as require('node:crypto').webcrypto; give
// it the global that later versions have. Nothing happens on those.
'use strict';

if (globalThis.crypto === undefined)
  globalThis.crypto = require('node:crypto').webcrypto;
