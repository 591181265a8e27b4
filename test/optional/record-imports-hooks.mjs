// Module customization hooks (node:module register) that append every URL the process resolves
// to the file named in `data.out`: how test/optional/library-path.test.ts lists what importing
// the library loads. Hooks run on their own thread, so the list goes through a file.
import { appendFileSync } from 'node:fs';

let out;

export async function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(out, `${result.url}\n`);
  return result;
}
