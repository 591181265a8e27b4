import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../support/constants.js';
import { type ServerProcess, startServer } from '../support/processes.js';
import { tempDir } from '../support/temp.js';

describe('SIGTERM drains in-flight requests, then exits 0', () => {
  const dir = tempDir();
  let server: ServerProcess;
  before(async () => {
    // debug: the server writes "incoming request" when it has read a request's headers (docs/operations.md, "Logs").
    server = await startServer({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, LOG_LEVEL: 'debug' });
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test('a request whose body is still arriving at SIGTERM is answered; new connections are refused', async () => {
    const { port } = new URL(server.url);
    const body = JSON.stringify({ email: 'drain@example.com', password: PASSWORD });
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk));
    // Headers and half the body: the request is in flight when the signal comes.
    socket.write(
      `POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    // The server has read the headers and is waiting for the body (its arrival line, at debug); a fixed
    // pause here let a loaded machine send SIGTERM first, when the connection still looked idle.
    await server.waitForOutput(/"msg":"incoming request"/);

    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await server.waitForOutput(/shutting down/);
    // Still draining: the process waits for our request.
    assert.equal(server.child.exitCode, null);
    await assert.rejects(fetch(`${server.url}/health`), 'the listener is closed to new connections');

    // write, not end: a half-closed socket makes Node abort the request (httpAllowHalfOpen=false).
    socket.write(body.slice(10));
    await once(socket, 'close');
    assert.match(response, /^HTTP\/1\.1 201 /, `${response}\n${server.output()}`);
    assert.match(response, /"email":"drain@example.com"/);
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
