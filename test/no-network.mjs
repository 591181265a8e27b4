// Preloaded (`node --import ./test/no-network.mjs …`) into a tool that must run offline, such as
// the OpenAPI linter in test/http/openapi-lint.test.ts: any TCP connection or name lookup is
// refused and reported on stderr, so the test sees it instead of a silent, caught failure.
import dns from 'node:dns';
import net from 'node:net';

export const NETWORK_ATTEMPT = 'NETWORK ATTEMPT';

function refuse(what) {
  process.stderr.write(`${NETWORK_ATTEMPT}: ${what}\n`);
  throw new Error(`network access refused: ${what}`);
}

net.Socket.prototype.connect = function connect(...args) {
  const [first] = args;
  const target = typeof first === 'object' && first !== null ? `${first.host ?? first.path}:${first.port ?? ''}` : String(first);
  return refuse(`connect ${target}`);
};
dns.lookup = (hostname) => refuse(`lookup ${hostname}`);
dns.promises.lookup = async (hostname) => refuse(`lookup ${hostname}`);
