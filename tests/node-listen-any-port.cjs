// SPDX-License-Identifier: GPL-3.0-or-later
// SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
//
// Preloaded (node --require) into the MCP SDK's example servers by the
// tests (tests/mc-test-sdk.c): most examples listen on a fixed port
// (3000), and tests running in parallel must not.  Every TCP server of
// the process listens on a port the system picks instead, on loopback
// only, and says which on stdout:
//
//   mc-test-listening <port>
//
// The examples' own "listening on port 3000" lines are then wrong, and
// ignored.  Servers given a port of their own (MCP_PORT) keep it when
// MC_TEST_KEEP_PORTS is set.
'use strict';

const net = require('node:net');

const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  if (!process.env.MC_TEST_KEEP_PORTS) {
    if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
      args[0] = 0;
      if (typeof args[1] !== 'string')
        args.splice(1, 0, '127.0.0.1');
    } else if (args[0] !== null && typeof args[0] === 'object' && 'port' in args[0]) {
      args[0] = { ...args[0], port: 0, host: '127.0.0.1' };
    }
  }
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object')
      process.stdout.write(`mc-test-listening ${address.port}\n`);
  });
  return originalListen.apply(this, args);
};
