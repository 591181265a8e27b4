// Module customization hooks (node:module register) that make the named packages unresolvable,
// with the error Node gives for a package that is not installed: how the optional-package tests
// play an install without pg, ioredis, nodemailer or Swagger, with node_modules left as it is.
let hidden = new Set();

export async function initialize(data) {
  hidden = new Set(data.hidden);
}

export async function resolve(specifier, context, nextResolve) {
  if (hidden.has(specifier)) {
    const error = new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}
