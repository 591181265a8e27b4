#!/usr/bin/env node
// The `fastify-users` command: the process's own arguments and streams handed to runCLI (the
// commands themselves live in src/cli/, where the tests run them in-process).
import { runCLI } from './cli/run.js';

const code = await runCLI(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
// A failed command exits at once, even with a pool or a socket still open; `serve` keeps running.
if (code !== 0) process.exit(code);
