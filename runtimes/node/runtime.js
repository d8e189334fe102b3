// stepfn's runtime client for nodejs* Lambda functions (CommonJS; Node's standard library only).
//
// stepfn starts one per execution environment as `node runtime.js`, with the working directory
// set to the function's code (LAMBDA_TASK_ROOT) and the environment AWS Lambda sets (_HANDLER,
// AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, ...). It loads the handler (CommonJS or an
// ES module), then loops on the Lambda Runtime API (2018-06-01): GET /runtime/invocation/next,
// call the handler, POST /runtime/invocation/<id>/response or /error, over one kept-alive
// connection. Load failures are posted to /runtime/init/error and end the process.
//
// One file: stepfn embeds it in its binary. It follows the Runtime API as AWS documents it and
// what AWS's Node runtime does (handlers that are async, return promises or take a callback;
// callbackWaitsForEmptyEventLoop; the context object; error shapes; console lines);
// runtimes/README.md lists the differences.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const url = require('url');
const util = require('util');

const API_PREFIX = '/2018-06-01/runtime';

// ---------------------------------------------------------------------------------------------
// Errors the runtime reports under its own names.

function runtimeError(name) {
  const cls = class extends Error {};
  cls.prototype.name = 'Runtime.' + name;
  return cls;
}
const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');

function isErrorLike(value) {
  return (
    value &&
    typeof value.name === 'string' &&
    typeof value.message === 'string' &&
    typeof value.stack === 'string'
  );
}

// The body of an /error post, as AWS's Node runtime writes it.
function toErrorResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: String(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// How an error appears in the log: the error with its enumerable properties, after a tab.
function formatForLog(error) {
  try {
    return (
      '\t' +
      JSON.stringify(error, (_key, value) => {
        if (value instanceof Error) {
          const out = Object.assign(
            { errorType: value.name, errorMessage: value.message, code: value.code },
            value,
          );
          if (typeof value.stack === 'string') {
            out.stack = value.stack.split('\n');
          }
          return out;
        }
        return value;
      })
    );
  } catch (_) {
    return '\t' + JSON.stringify(toErrorResponse(error));
  }
}

// ---------------------------------------------------------------------------------------------
// Logs: console.* lines carry the time, the request id and the level, as on AWS.

let currentRequestId;

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (message, ...params) => {
      const line =
        `${new Date().toISOString()}\t${currentRequestId}\t${level}\t` +
        util.format(message, ...params);
      process.stdout.write(line + '\n');
    };
  }
  console.fatal = (message, ...params) => {
    process.stdout.write(
      `${new Date().toISOString()}\t${currentRequestId}\tFATAL\t${util.format(message, ...params)}\n`,
    );
  };
}

// ---------------------------------------------------------------------------------------------
// The Runtime API client: one kept-alive connection.

// A header value from any text: printable ASCII only (Node refuses other characters).
function headerValue(text) {
  return String(text).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

class RuntimeClient {
  constructor(address) {
    const colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new Error(`AWS_LAMBDA_RUNTIME_API is not host:port: ${address}`);
    }
    this.host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    this.port = Number(address.slice(colon + 1));
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  // Resolves to {status, headers, body: Buffer}; rejects when the API cannot be reached.
  request(method, pathName, body, headers) {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path: pathName,
          agent: this.agent,
          headers: Object.assign(
            body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) },
            headers || {},
          ),
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  async next() {
    const response = await this.request('GET', API_PREFIX + '/invocation/next');
    if (response.status !== 200) {
      throw new Error(`Runtime API answered ${response.status} to /invocation/next: ${response.body.toString().slice(0, 200)}`);
    }
    return response;
  }

  async post(pathName, body, headers) {
    const response = await this.request('POST', pathName, body, headers);
    if (response.status >= 500) {
      // AWS: a 500 is a non-recoverable state; the runtime exits promptly.
      throw new Error(`Runtime API answered ${response.status} to POST ${pathName}`);
    }
    if (response.status >= 300) {
      process.stderr.write(
        `Runtime API answered ${response.status} to POST ${pathName}: ${response.body.toString().slice(0, 500)}\n`,
      );
    }
  }

  postResponse(id, body) {
    return this.post(`${API_PREFIX}/invocation/${id}/response`, body, { 'Content-Type': 'application/json' });
  }

  postError(id, error) {
    const body = toErrorResponse(error);
    return this.post(`${API_PREFIX}/invocation/${id}/error`, JSON.stringify(body), {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Function-Error-Type': headerValue(body.errorType),
    });
  }

  postInitError(error) {
    const body = toErrorResponse(error);
    return this.post(`${API_PREFIX}/init/error`, JSON.stringify(body), {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Function-Error-Type': headerValue(body.errorType),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Loading the handler: "dir/module.export.nested", CommonJS or ES module, as AWS resolves it.

function packageTypeIsModule(folder) {
  // The nearest package.json decides; a node_modules folder or the root ends the search.
  for (;;) {
    if (folder.endsWith('/node_modules')) {
      return false;
    }
    const file = path.join(folder, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const parent = path.dirname(folder);
    if (parent === folder) {
      return false;
    }
    folder = parent;
  }
}

function requireIfExists(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function importIfExists(file) {
  return fs.existsSync(file) ? await import(url.pathToFileURL(file).href) : undefined;
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const loaded = requireIfExists(base);
  if (loaded) {
    return loaded;
  }
  const isModule = packageTypeIsModule(path.dirname(base));
  if (!isModule) {
    const cjs = requireIfExists(base + '.js');
    if (cjs) {
      return cjs;
    }
  }
  const other =
    (isModule && (await importIfExists(base + '.js'))) ||
    (await importIfExists(base + '.mjs')) ||
    requireIfExists(base + '.cjs');
  if (other) {
    return other;
  }
  // A module from node_modules or a bare name, resolved from the function's folders.
  return require(require.resolve(moduleName, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) {
    throw new MalformedHandlerName('Bad handler');
  }
  const [, moduleName, handlerPath] = match;
  let app;
  try {
    app = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new UserCodeSyntaxError(e);
    }
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new ImportModuleError(e);
    }
    throw e;
  }
  const handler = handlerPath.split('.').reduce((object, key) => object && object[key], app);
  if (!handler) {
    throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${fullHandler} is not a function`);
  }
  return handler;
}

// ---------------------------------------------------------------------------------------------
// Invocations.

// What runs when the event loop is empty ('beforeExit'): posting a callback's result when
// callbackWaitsForEmptyEventLoop holds, or null when a handler returned without calling back.
let beforeExitAction;
process.on('beforeExit', () => {
  const action = beforeExitAction;
  beforeExitAction = undefined;
  if (action) {
    action();
  }
});

function parseJsonHeader(value) {
  if (value === undefined || value === '') {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (_) {
    return undefined;
  }
}

// Runs one invocation; resolves once its result or error has been posted.
function invoke(client, handler, response) {
  return new Promise((resolveInvocation, rejectInvocation) => {
    const headers = response.headers;
    const id = headers['lambda-runtime-aws-request-id'];
    const deadline = Number(headers['lambda-runtime-deadline-ms']) || 0;
    currentRequestId = id;
    if (headers['lambda-runtime-trace-id'] !== undefined) {
      process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    } else {
      delete process.env._X_AMZN_TRACE_ID;
    }

    let finished = false;
    const post = (error, result) => {
      if (finished) {
        return;
      }
      finished = true;
      beforeExitAction = undefined;
      let sending;
      if (error !== undefined && error !== null) {
        console.error('Invoke Error', formatForLog(error));
        sending = client.postError(id, error);
      } else {
        let body;
        try {
          body = JSON.stringify(result === undefined ? null : result);
        } catch (e) {
          const serializeError = new Error('Unable to stringify response body');
          console.error('Invoke Error', formatForLog(serializeError));
          sending = client.postError(id, serializeError);
        }
        if (sending === undefined) {
          sending = client.postResponse(id, body === undefined ? 'null' : body);
        }
      }
      sending.then(resolveInvocation, rejectInvocation);
    };

    const controls = { callbackWaitsForEmptyEventLoop: true };
    const callback = (error, result) => {
      if (finished) {
        return;
      }
      if (controls.callbackWaitsForEmptyEventLoop) {
        beforeExitAction = () => post(error, result);
      } else {
        post(error, result);
      }
    };
    const done = (error, result) => {
      controls.callbackWaitsForEmptyEventLoop = false;
      callback(error, result);
    };
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return controls.callbackWaitsForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        controls.callbackWaitsForEmptyEventLoop = value;
      },
      succeed: (result) => done(null, result),
      fail: (error) => done(error === undefined || error === null ? 'handled' : error, null),
      done,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parseJsonHeader(headers['lambda-runtime-client-context']),
      identity: parseJsonHeader(headers['lambda-runtime-cognito-identity']),
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    };
    if (headers['lambda-runtime-aws-tenant-id'] !== undefined) {
      context.tenantId = headers['lambda-runtime-aws-tenant-id'];
    }

    let event;
    try {
      const text = response.body.toString('utf8');
      event = text === '' ? {} : JSON.parse(text);
    } catch (e) {
      post(e);
      return;
    }

    // A handler that returns without calling back answers null once the event loop is empty.
    beforeExitAction = () => post(null, null);
    let result;
    try {
      result = handler(event, context, callback);
    } catch (e) {
      done(e);
      return;
    }
    if (result && typeof result.then === 'function') {
      result.then(
        (value) => done(null, value),
        (error) => done(error === undefined || error === null ? new Error(String(error)) : error),
      );
    }
  });
}

// An exception nobody caught (a timer callback throwing, a rejected promise nobody awaited):
// AWS posts it as the invocation's error (or as the init error) and the process ends.
let uncaughtClient;
let initializing = true;
function onUncaught(error) {
  console.error('Uncaught Exception', formatForLog(error));
  const client = uncaughtClient;
  if (!client) {
    process.exit(129);
  }
  const sending = initializing || !currentRequestId
    ? client.postInitError(error)
    : client.postError(currentRequestId, error);
  sending.then(
    () => process.exit(129),
    () => process.exit(129),
  );
}
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', (reason) => {
  const error = util.types.isNativeError(reason) ? reason : new Error(`Unhandled promise rejection: ${util.inspect(reason)}`);
  error.name = util.types.isNativeError(reason) ? reason.name : 'Runtime.UnhandledPromiseRejection';
  onUncaught(error);
});

async function main() {
  patchConsole();
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    process.stderr.write('AWS_LAMBDA_RUNTIME_API is not set\n');
    process.exit(1);
  }
  let client;
  try {
    client = new RuntimeClient(address);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  uncaughtClient = client;

  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (error) {
    console.error('Init Error', formatForLog(error));
    try {
      await client.postInitError(error);
    } catch (e) {
      process.stderr.write(`${e.message}\n`);
    }
    process.exit(1);
  }
  initializing = false;

  for (;;) {
    let next;
    try {
      next = await client.next();
    } catch (e) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    try {
      await invoke(client, handler, next);
    } catch (e) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
  }
}

main();
