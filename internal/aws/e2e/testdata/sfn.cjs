// sfn.cjs runs one execution of a compiled state machine with
// aws-local-stepfunctions, serving its Task states like AWS would:
//
//   arn:<partition>:states:::batch:submitJob.sync  -> a local "AWS Batch":
//     the job definition merged with ContainerOverrides, Ref:: parameters
//     substituted, the job run in a container of the job definition's
//     image (containerProperties.image; overrides cannot change it) by the
//     container runner, ocirun (internal/ocirun): pulled by digest from
//     the test registry, unpacked once per digest into imageCache, a
//     writable layer per job, the job's command replacing only the image's
//     CMD, as AWS Batch does; the container gets the job's environment
//     only (the definition's, the overrides', AWS_BATCH_JOB_ID,
//     AWS_BATCH_JOB_ATTEMPT, AWS_BATCH_JQ_NAME, AWS_BATCH_CE_NAME, and
//     env, the emulation's endpoints and credentials), never the host's;
//     a DescribeJobs-shaped result (or States.TaskFailed with a
//     Batch-shaped Cause);
//   arn:<partition>:states:::dynamodb:getItem      -> DynamoDB's JSON
//   arn:<partition>:states:::dynamodb:putItem         protocol over HTTP
//     (dynalite).
//
// Handlers are found by walking the definition (Parallel branches and Map
// processors included); nothing depends on a flow or a state name.
//
// With --serve, it is instead AWS Batch and CloudWatch Logs on a loopback
// port, for a client outside (run --with batch): the Batch API
// (RegisterJobDefinition, DescribeJobDefinitions, SubmitJob, DescribeJobs,
// TerminateJob; REST-JSON under /v1/) and CloudWatch Logs' GetLogEvents
// (JSON 1.1, X-Amz-Target Logs_20140328.GetLogEvents), as the AWS SDKs
// speak them. A job goes SUBMITTED, RUNNABLE (waiting for capacity),
// STARTING, RUNNING, then SUCCEEDED or FAILED; it runs in its image like a
// job of an execution; its output lines are its log stream's events;
// TerminateJob fails a job not yet running and stops a running one's
// container (SIGTERM, SIGKILL 2 s later). GET /jobs lists every job and
// its status (the tests' view of the emulator).
//
//   node sfn.cjs --serve SERVE.json, SERVE being
//   {port, env, maxJobs, logDir, containerRunner, imageCache}
//
// Usage: node sfn.cjs REQUEST.json > RESULT.json, where REQUEST is
//   {definition, jobDefinitions, input, executionName, env, dynamodbEndpoint,
//    realRetryDelays, maxJobs, logDir, containerRunner, imageCache}
// (containerRunner: the ocirun binary; imageCache: its --cache directory)
// and RESULT is {status, output, error, cause, jobs, entered, retried,
// getItems, putItems, submits, millis, startDate, stopDate} (jobs: one per container
// run, an array job's children's attempts included; submits: SubmitJob
// calls) (the dates in epoch milliseconds,
// as DescribeExecution gives them).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const Module = require('node:module');

// aws-local-stepfunctions 3 needs Node.js >= 22 (it calls
// Promise.withResolvers): the harness runs the Node.js pinned in
// package-lock.json, node_modules/.bin/node.
if (typeof Promise.withResolvers !== 'function') {
  throw new Error(`aws-local-stepfunctions needs Node.js >= 22, this is ${process.version}; use node_modules/.bin/node (npm ci)`);
}

// loadEmulator loads aws-local-stepfunctions 3.0.0 with two fixes that make
// it behave like AWS Step Functions:
//   - $$.State (Name, EnteredTime, RetryCount) exists: the library does not
//     track it, and Stepflow passes $$.State.RetryCount as the attempt;
//   - a Task without TimeoutSeconds has no 60 s limit (AWS's default is
//     99999999 s; Node timers stop at 2^31-1 ms, about 24 days, and
//     overflow to 1 ms beyond);
//   - States.JsonToString keeps the backslashes of the JSON it produces:
//     the library strips every backslash from every intrinsic's string
//     result (meant for escaped literals), which corrupts a JSON string
//     holding escaped quotes ({"weights":"{\"a\":2}"}).
// Each patch must match exactly once, so a different library version fails
// loudly instead of silently running unpatched.
function loadEmulator() {
  const file = require.resolve('aws-local-stepfunctions');
  let src = fs.readFileSync(file, 'utf8');
  const patch = (from, to) => {
    const n = src.split(from).length - 1;
    if (n !== 1) throw new Error(`aws-local-stepfunctions: expected one "${from}" in ${file}, found ${n}`);
    src = src.replace(from, to);
  };
  patch('const processedInput = this.processInput(input, context);',
    'this.enteredTime ??= new Date().toISOString();\n' +
    'context.State = { Name: this.stateName, EnteredTime: this.enteredTime, RetryCount: this.retrierAttempts.reduce((a, b) => a + b, 0) };\n' +
    'const processedInput = this.processInput(input, context);');
  patch('var DEFAULT_TIMEOUT_SECONDS = 60;', 'var DEFAULT_TIMEOUT_SECONDS = 2147483;');
  patch('if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");',
    'if (typeof result === "string" && this.funcDefinition.name !== "States.JsonToString") {\n      result = result.replaceAll("\\\\", "");');
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(src, file);
  return m.exports;
}

const serving = process.argv[2] === '--serve';

// checkRequest checks what every request (and the --serve file) must give.
function checkRequest(req) {
  // The emulated Batch runs every job in its image, never on the host.
  for (const k of ['containerRunner', 'imageCache']) {
    if (typeof req[k] !== 'string' || req[k] === '') {
      throw new Error(`sfn.cjs: the harness must pass ${k} (containerRunner: the ocirun binary, internal/ocirun/cmd/ocirun; imageCache: its cache directory): the emulated AWS Batch runs each job in its container image`);
    }
  }
}

const BATCH = /^arn:[a-z-]+:states:::batch:submitJob\.sync$/;
const GET_ITEM = /^arn:[a-z-]+:states:::dynamodb:getItem$/;
const PUT_ITEM = /^arn:[a-z-]+:states:::dynamodb:putItem$/;

// A counting semaphore: the compute environment's capacity. Jobs beyond it
// wait RUNNABLE, as in AWS Batch.
function semaphore(n) {
  let free = n;
  const waiting = [];
  return {
    async acquire() {
      if (free > 0) { free--; return; }
      await new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next) next(); else free++;
    },
  };
}
function fail(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

// startContainer starts a job's container: the runner's environment is the
// container's (ocirun passes its own on, and the image's Env fills in
// what it lacks). It exits with the container's status, or 125-127 when
// the container could not start (its one-line reason, "ocirun: ...", is
// in the output).
function startContainer(req, image, command, env) {
  return spawn(req.containerRunner,
    ['--image', image, '--cache', req.imageCache, '--insecure', '--', ...command],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

// execution prepares one execution of req.definition with StateMachine
// (aws-local-stepfunctions) and returns the function that runs it and
// resolves to its RESULT. Everything an execution counts is its own, so
// that one --serve process runs many executions at once.
function execution(req, StateMachine) {
  checkRequest(req);
  const capacity = semaphore(req.maxJobs || 2);

  // findJobDefinition accepts a name, name:revision or an ARN, like SubmitJob.
  function findJobDefinition(ref) {
    let name = String(ref);
    const m = /^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\/(.+)$/.exec(name);
    if (m) name = m[1];
    name = name.replace(/:\d+$/, '');
    return req.jobDefinitions.find((d) => d.jobDefinitionName === name);
  }

  const jobs = [];
  let submits = 0;

  // submitJobSync is SubmitJob and the .sync integration's wait: it returns
  // the DescribeJobs description of the job when it succeeded, and throws
  // States.TaskFailed with that description as the cause when it did not.
  //
  // An array job (ArrayProperties.Size, 2 to 10,000) runs as AWS Batch runs
  // one: a child per index, each with AWS_BATCH_JOB_ARRAY_INDEX and the
  // parent's id and index as its own (PARENT:INDEX), each retried on its own
  // up to the retry strategy's attempts; the parent SUCCEEDED when every
  // child did, else FAILED, and its description has
  // ArrayProperties {StatusSummary, Size}. A plain job gets the retry
  // strategy's attempts too (Stepflow's job definitions say 1).
  async function submitJobSync(stateName, input) {
    submits++;
    const queuedAt = Date.now();
    const jd = findJobDefinition(input.JobDefinition);
    if (!jd) throw fail('Batch.ClientException', `JobDefinition ${input.JobDefinition} does not exist`);
    for (const k of ['JobName', 'JobQueue']) {
      if (typeof input[k] !== 'string' || input[k] === '') throw fail('Batch.ClientException', `${k} is required`);
    }
    const ov = input.ContainerOverrides || {};
    if (JSON.stringify(ov).length > 8192) {
      throw fail('Batch.ClientException', 'Container Overrides length must be at most 8192');
    }
    const cp = jd.containerProperties;
    if (typeof cp.image !== 'string' || cp.image === '') {
      throw fail('Batch.ClientException', `JobDefinition ${jd.jobDefinitionName} has no containerProperties.image`);
    }
    const env = {};
    for (const kv of cp.environment || []) env[kv.name] = kv.value;
    for (const kv of ov.Environment || []) {
      if (typeof kv.Name !== 'string' || typeof kv.Value !== 'string') {
        throw fail('Batch.ClientException', `environment variable ${JSON.stringify(kv)}: Name and Value must be strings`);
      }
      if (kv.Name.startsWith('AWS_BATCH')) {
        throw fail('Batch.ClientException', `environment variable ${kv.Name}: names starting with AWS_BATCH are reserved`);
      }
      env[kv.Name] = kv.Value;
    }
    const resources = {};
    for (const r of cp.resourceRequirements || []) resources[r.type] = r.value;
    for (const r of ov.ResourceRequirements || []) resources[r.Type] = r.Value;
    const params = { ...(jd.parameters || {}), ...(input.Parameters || {}) };
    const command = (ov.Command || cp.command || []).map((a) =>
      a.replace(/Ref::([A-Za-z0-9_]+)/g, (whole, k) => (k in params ? params[k] : whole)));
    const timeout = (input.Timeout && input.Timeout.AttemptDurationSeconds) || (jd.timeout && jd.timeout.attemptDurationSeconds);
    const attempts = (input.RetryStrategy && input.RetryStrategy.Attempts) || (jd.retryStrategy && jd.retryStrategy.attempts) || 1;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
      throw fail('Batch.ClientException', `RetryStrategy.Attempts ${attempts}: must be 1 to 10`);
    }
    let size = 0;
    if (input.ArrayProperties) {
      size = input.ArrayProperties.Size;
      if (!Number.isInteger(size) || size < 2 || size > 10000) {
        throw fail('Batch.ClientException', `ArrayProperties.Size ${size}: an array job has 2 to 10000 children`);
      }
    }
    const jobId = crypto.randomUUID();
    const container = {
      Image: cp.image, Command: command, JobRoleArn: cp.jobRoleArn,
      Environment: Object.entries(env).map(([Name, Value]) => ({ Name, Value })),
      ResourceRequirements: Object.entries(resources).map(([Type, Value]) => ({ Type, Value })),
    };
    const description = {
      JobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
      JobName: input.JobName, JobId: jobId, JobQueue: input.JobQueue,
      CreatedAt: queuedAt,
      DependsOn: [], JobDefinition: `arn:aws:batch:us-east-1:123456789012:job-definition/${jd.jobDefinitionName}:1`,
      Parameters: params, Container: container, Tags: input.Tags || {},
      PropagateTags: jd.propagateTags, PlatformCapabilities: jd.platformCapabilities,
      RetryStrategy: { Attempts: attempts },
    };
    const run = { stateName, jd, cp, env, command, timeout, attempts, queuedAt, input };
    if (size === 0) {
      const r = await runJob(run, jobId, null);
      Object.assign(description, {
        Status: r.status, StatusReason: r.reason, Attempts: r.attempts,
        StartedAt: r.startedAt, StoppedAt: r.stoppedAt,
      });
      Object.assign(container, r.attempts[r.attempts.length - 1].Container);
      if (r.status !== 'SUCCEEDED') throw fail('States.TaskFailed', JSON.stringify(description));
      return description;
    }
    const children = await Promise.all(Array.from({ length: size }, (_, i) => runJob(run, `${jobId}:${i}`, i)));
    const summary = {};
    for (const c of children) summary[c.status] = (summary[c.status] || 0) + 1;
    const failed = summary.FAILED || 0;
    Object.assign(description, {
      Status: failed ? 'FAILED' : 'SUCCEEDED',
      StatusReason: failed ? `${failed} of ${size} child jobs failed` : 'all child jobs succeeded',
      ArrayProperties: { StatusSummary: summary, Size: size },
      StartedAt: Math.min(...children.map((c) => c.startedAt)),
      StoppedAt: Math.max(...children.map((c) => c.stoppedAt)),
    });
    if (failed) throw fail('States.TaskFailed', JSON.stringify(description));
    return description;
  }

  // runJob runs a job (or an array job's child: index is its array index)
  // until an attempt succeeds or its attempts are spent, one container per
  // attempt, and returns its status and its DescribeJobs Attempts.
  async function runJob(run, jobId, index) {
    const { stateName, jd, cp, env, command, timeout, attempts, queuedAt, input } = run;
    const out = { attempts: [] };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const logStream = `${jd.jobDefinitionName}/default/${jobId.replace(':', '-')}-${attempt}`;
      const job = {
        state: stateName, jobId, jobName: input.JobName,
        step: env.STEPFLOW_STEP, taskId: env.STEPFLOW_TASK_ID, attempt: env.STEPFLOW_ATTEMPT, caught: env.STEPFLOW_CAUGHT,
        queuedAt, batchAttempt: attempt,
      };
      if (index !== null) {
        // The task id the child computes (docs/state-machine.md, "Array
        // jobs"): the offset plus its index.
        job.arrayIndex = index;
        job.taskId = String(Number(env.STEPFLOW_ARRAY_OFFSET || 0) + index);
      }
      jobs.push(job);
      await capacity.acquire();
      job.startedAt = Date.now();
      let exitCode, signal, reason = 'Essential container in task exited';
      const logFile = path.join(req.logDir, logStream.replaceAll('/', '_') + '.log');
      const tail = [];
      try {
        const childEnv = {
          ...req.env, ...env,
          AWS_BATCH_JOB_ID: jobId, AWS_BATCH_JOB_ATTEMPT: String(attempt),
          AWS_BATCH_JQ_NAME: input.JobQueue, AWS_BATCH_CE_NAME: 'stepflow-e2e',
        };
        if (index !== null) childEnv.AWS_BATCH_JOB_ARRAY_INDEX = String(index);
        const out = fs.openSync(logFile, 'w');
        await new Promise((resolve, reject) => {
          // The runner's environment is the container's: ocirun passes its own
          // on, and the image's Env fills in what it lacks. It exits with the
          // container's status, or 125-127 when the container could not start
          // (its one-line reason, "ocirun: ...", is in the log).
          const p = startContainer(req, cp.image, command, childEnv);
          const sink = (chunk) => {
            fs.writeSync(out, chunk);
            tail.push(chunk);
            while (tail.length > 20) tail.shift();
          };
          p.stdout.on('data', sink);
          p.stderr.on('data', sink);
          let timer;
          if (timeout) {
            timer = setTimeout(() => {
              reason = 'Job attempt duration exceeded timeout';
              // The runner passes SIGTERM on to the container; killed, it
              // takes the container (every process in it) down with it.
              p.kill('SIGTERM');
              setTimeout(() => p.kill('SIGKILL'), 2000).unref();
            }, timeout * 1000);
          }
          p.on('error', reject);
          p.on('close', (code, sig) => {
            clearTimeout(timer);
            exitCode = code;
            signal = sig;
            resolve();
          });
        });
        fs.closeSync(out);
      } finally {
        capacity.release();
      }
      job.stoppedAt = Date.now();
      job.exitCode = exitCode;
      const container = { ExitCode: exitCode ?? 128, LogStreamName: logStream };
      if (exitCode !== 0) {
        container.Reason = signal ? `killed by ${signal}` : `exit status ${exitCode}`;
        job.tail = Buffer.concat(tail).toString('utf8').slice(-2000);
      }
      out.attempts.push({ Container: container, StartedAt: job.startedAt, StoppedAt: job.stoppedAt, StatusReason: reason });
      out.startedAt = out.startedAt || job.startedAt;
      out.stoppedAt = job.stoppedAt;
      out.reason = reason;
      if (exitCode === 0) {
        out.status = 'SUCCEEDED';
        return out;
      }
    }
    out.status = 'FAILED';
    return out;
  }



  let getItems = 0, putItems = 0;
  async function getItem(input) {
    getItems++;
    return dynamodb('GetItem', input);
  }
  async function putItem(input) {
    putItems++;
    return dynamodb('PutItem', input);
  }
  async function dynamodb(action, input) {
    const res = await fetch(req.dynamodbEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.' + action,
        // dynalite wants a well-formed signature header; it checks no secret.
        Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0',
        'X-Amz-Date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, ''),
      },
      body: JSON.stringify(input),
    });
    const body = await res.json();
    if (!res.ok) {
      const type = String(body.__type || 'UnknownError').split('#').pop();
      throw fail(`DynamoDB.${type}`, body.message || body.Message || JSON.stringify(body));
    }
    return body;
  }

  // Walk the definition and serve every Task state.
  const handlers = {};
  const retrying = {};
  function walk(states) {
    for (const [name, st] of Object.entries(states)) {
      if (st.Retry) retrying[name] = 0;
      switch (st.Type) {
        case 'Task': {
          let h;
          if (BATCH.test(st.Resource)) h = (input) => submitJobSync(name, input);
          else if (GET_ITEM.test(st.Resource)) h = (input) => getItem(input);
          else if (PUT_ITEM.test(st.Resource)) h = (input) => putItem(input);
          else throw new Error(`state ${name}: resource ${st.Resource} is not emulated`);
          if (handlers[name] && handlers[name].resource !== st.Resource) {
            throw new Error(`two Task states named ${name} with different resources`);
          }
          handlers[name] = Object.assign(h, { resource: st.Resource });
          break;
        }
        case 'Parallel':
          for (const b of st.Branches) walk(b.States);
          break;
        case 'Map':
          walk((st.ItemProcessor || st.Iterator).States);
          break;
      }
    }
  }
  walk(req.definition.States);

  return async function main() {
    const started = Date.now();
    const sm = new StateMachine(req.definition, { validationOptions: { checkPaths: false } });
    const execution = sm.run(req.input, {
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:123456789012:execution:stepflow:${req.executionName}`,
          Name: req.executionName,
          RoleArn: 'arn:aws:iam::123456789012:role/stepflow-sfn',
        },
      },
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: req.realRetryDelays ? {} : retrying,
      },
    });
    // The history: every state entered (Map iterations' and Parallel
    // branches' states too, and the child executions of a DISTRIBUTED Map,
    // which the emulator runs inline) and every retry, by state name. These
    // are what Step Functions Standard bills as state transitions.
    const entered = {}, retried = {};
    const history = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === 'StateEntered') entered[ev.state.name] = (entered[ev.state.name] || 0) + 1;
        else if (ev.type === 'StateRetried') retried[ev.state.name] = (retried[ev.state.name] || 0) + 1;
      }
    })();
    const out = { jobs, millis: 0 };
    try {
      out.output = await execution.result;
      out.status = 'SUCCEEDED';
    } catch (e) {
      out.status = 'FAILED';
      const c = e.cause || e;
      out.error = c.name;
      out.cause = c.message;
    }
    await history; // the log closes when the execution ends
    out.entered = entered;
    out.retried = retried;
    out.getItems = getItems;
    out.putItems = putItems;
    out.submits = submits;
    out.startDate = started;
    out.stopDate = Date.now();
    out.millis = out.stopDate - started;
    return out;
  };
}

// --- --serve: AWS Batch and CloudWatch Logs for a client outside ---------

const served = { definitions: [], jobs: new Map(), streams: new Map() };
// The --serve file (req) and the compute environment of the jobs submitted
// to the served API (executions have their own).
let serveReq, serveCapacity;

// A Batch API error, as the REST-JSON protocol sends it.
class APIError extends Error {
  constructor(status, type, message) { super(message); this.status = status; this.type = type; }
}

function clientError(message) { return new APIError(400, 'ClientException', message); }

function registerJobDefinition(body) {
  const name = body.jobDefinitionName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(name)) throw clientError(`jobDefinitionName ${JSON.stringify(name)} is invalid`);
  if (body.type !== 'container' || !body.containerProperties || !body.containerProperties.image) {
    throw clientError('a container job definition needs containerProperties.image');
  }
  const revision = served.definitions.filter((d) => d.jobDefinitionName === name).length + 1;
  const arn = `arn:aws:batch:us-east-1:123456789012:job-definition/${name}:${revision}`;
  served.definitions.push({ ...body, revision, jobDefinitionArn: arn, status: 'ACTIVE' });
  return { jobDefinitionName: name, jobDefinitionArn: arn, revision };
}

function describeJobDefinitions(body) {
  let ds = served.definitions;
  if (body.jobDefinitionName) ds = ds.filter((d) => d.jobDefinitionName === body.jobDefinitionName);
  if (body.status) ds = ds.filter((d) => d.status === body.status);
  if (body.jobDefinitions) ds = ds.filter((d) => body.jobDefinitions.some((r) => [d.jobDefinitionName, `${d.jobDefinitionName}:${d.revision}`, d.jobDefinitionArn].includes(r)));
  return { jobDefinitions: ds };
}

function servedDefinition(ref) {
  let name = String(ref);
  const m = /^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\/(.+)$/.exec(name);
  if (m) name = m[1];
  const [base, rev] = name.split(':');
  const ds = served.definitions.filter((d) => d.jobDefinitionName === base && (!rev || String(d.revision) === rev));
  return ds[ds.length - 1];
}

function submitJob(body) {
  for (const k of ['jobName', 'jobQueue', 'jobDefinition']) {
    if (typeof body[k] !== 'string' || body[k] === '') throw clientError(`${k} is required`);
  }
  const jd = servedDefinition(body.jobDefinition);
  if (!jd) throw clientError(`JobDefinition ${body.jobDefinition} does not exist`);
  const ov = body.containerOverrides || {};
  if (JSON.stringify(ov).length > 8192) throw clientError('Container Overrides length must be at most 8192');
  const cp = jd.containerProperties;
  const env = {};
  for (const kv of cp.environment || []) env[kv.name] = kv.value;
  for (const kv of ov.environment || []) {
    if (String(kv.name).startsWith('AWS_BATCH')) throw clientError(`environment variable ${kv.name}: names starting with AWS_BATCH are reserved`);
    env[kv.name] = kv.value;
  }
  const resources = {};
  for (const r of cp.resourceRequirements || []) resources[r.type] = r.value;
  for (const r of ov.resourceRequirements || []) resources[r.type] = r.value;
  const command = ov.command || cp.command || [];
  const jobId = crypto.randomUUID();
  const logStreamName = `${jd.jobDefinitionName}/default/${jobId}`;
  const job = {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`, jobName: body.jobName, jobId,
    jobQueue: body.jobQueue, status: 'SUBMITTED', createdAt: Date.now(), dependsOn: [],
    jobDefinition: jd.jobDefinitionArn, tags: body.tags || {},
    container: {
      image: cp.image, command, jobRoleArn: cp.jobRoleArn,
      environment: Object.entries(env).map(([name, value]) => ({ name, value })),
      resourceRequirements: Object.entries(resources).map(([type, value]) => ({ type, value })),
      logStreamName,
    },
  };
  served.jobs.set(jobId, job);
  served.streams.set(`/aws/batch/job|${logStreamName}`, []);
  runServedJob(job, cp.image, command, env);
  return { jobArn: job.jobArn, jobName: job.jobName, jobId };
}

// runServedJob moves a job through its states and runs its container.
async function runServedJob(job, image, command, env) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (job.status !== 'SUBMITTED') return; // terminated
  job.status = 'RUNNABLE';
  await serveCapacity.acquire();
  try {
    if (job.status !== 'RUNNABLE') return;
    job.status = 'STARTING';
    const events = served.streams.get(`/aws/batch/job|${job.container.logStreamName}`);
    const childEnv = { ...serveReq.env, ...env, AWS_BATCH_JOB_ID: job.jobId, AWS_BATCH_JOB_ATTEMPT: '1', AWS_BATCH_JQ_NAME: job.jobQueue, AWS_BATCH_CE_NAME: 'stepflow-e2e' };
    const logFile = fs.openSync(path.join(serveReq.logDir, job.jobId + '.log'), 'w');
    await new Promise((resolve) => {
      const p = startContainer(serveReq, image, command, childEnv);
      job.process = p;
      job.status = 'RUNNING';
      job.startedAt = Date.now();
      if (job.terminating) job.kill();
      const partial = { stdout: '', stderr: '' };
      const sink = (name) => (chunk) => {
        fs.writeSync(logFile, chunk);
        const text = partial[name] + chunk.toString('utf8');
        const lines = text.split('\n');
        partial[name] = lines.pop();
        for (const message of lines) events.push({ timestamp: Date.now(), message, ingestionTime: Date.now() });
      };
      p.stdout.on('data', sink('stdout'));
      p.stderr.on('data', sink('stderr'));
      p.on('error', (e) => { job.container.reason = String(e); });
      p.on('close', (code, sig) => {
        for (const name of ['stdout', 'stderr']) {
          if (partial[name]) events.push({ timestamp: Date.now(), message: partial[name], ingestionTime: Date.now() });
        }
        job.container.exitCode = code ?? 128;
        if (sig) job.container.reason = `killed by ${sig}`;
        resolve();
      });
    });
    fs.closeSync(logFile);
    job.stoppedAt = Date.now();
    delete job.process;
    if (job.container.exitCode === 0 && !job.terminating) {
      job.status = 'SUCCEEDED';
      job.statusReason = 'Essential container in task exited';
    } else {
      job.status = 'FAILED';
      job.statusReason = job.terminating || 'Essential container in task exited';
    }
  } finally {
    serveCapacity.release();
  }
}

function describeJobs(body) {
  if (!Array.isArray(body.jobs) || body.jobs.length > 100) throw clientError('jobs: give 1 to 100 job ids');
  const out = [];
  for (const id of body.jobs) {
    const j = served.jobs.get(id);
    if (!j) continue;
    const { process: _p, kill: _k, terminating: _t, ...desc } = j;
    out.push(desc);
  }
  return { jobs: out };
}

function terminateJob(body) {
  const j = served.jobs.get(body.jobId);
  if (!j) throw clientError(`Job ${body.jobId} does not exist`);
  if (typeof body.reason !== 'string' || body.reason === '') throw clientError('reason is required');
  if (j.status === 'SUCCEEDED' || j.status === 'FAILED') return {};
  j.terminating = body.reason;
  if (j.status === 'SUBMITTED' || j.status === 'RUNNABLE') {
    j.status = 'FAILED';
    j.statusReason = body.reason;
    j.stoppedAt = Date.now();
    return {};
  }
  // The container runner passes SIGTERM on; killed, it takes the container
  // (every process in it) down with it.
  j.kill = () => {
    j.process.kill('SIGTERM');
    setTimeout(() => { if (j.process) j.process.kill('SIGKILL'); }, 2000).unref();
  };
  if (j.process) j.kill();
  return {};
}

function getLogEvents(body) {
  const events = served.streams.get(`${body.logGroupName}|${body.logStreamName}`);
  if (!events) throw new APIError(400, 'ResourceNotFoundException', 'The specified log stream does not exist.');
  let from = 0;
  if (body.nextToken) {
    const m = /^f\/(\d+)$/.exec(body.nextToken);
    if (!m) throw new APIError(400, 'InvalidParameterException', 'The specified nextToken is invalid.');
    from = Number(m[1]);
  }
  const limit = Math.min(body.limit || 10000, 10000);
  const page = events.slice(from, from + limit);
  return { events: page, nextForwardToken: `f/${from + page.length}`, nextBackwardToken: `b/${from}` };
}

const batchOps = {
  '/v1/registerjobdefinition': registerJobDefinition,
  '/v1/describejobdefinitions': describeJobDefinitions,
  '/v1/submitjob': submitJob,
  '/v1/describejobs': describeJobs,
  '/v1/terminatejob': terminateJob,
};
const logsOps = { 'Logs_20140328.GetLogEvents': getLogEvents };

async function serve() {
  const http = require('node:http');
  const server = http.createServer((r, w) => {
    const chunks = [];
    r.on('data', (c) => chunks.push(c));
    r.on('end', () => {
      const target = r.headers['x-amz-target'];
      const send = (status, headers, body) => {
        w.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        w.end(JSON.stringify(body));
      };
      try {
        if (r.method === 'POST' && r.url === '/execute') {
          // One execution of a state machine, as node sfn.cjs REQUEST.json
          // runs it; the answer is its RESULT.
          let run;
          try {
            run = execution(JSON.parse(Buffer.concat(chunks).toString('utf8')), emulator().StateMachine);
          } catch (e) {
            return send(400, {}, { message: String(e && e.stack || e) });
          }
          run().then((out) => send(200, {}, out), (e) => send(500, {}, { message: String(e && e.stack || e) }));
          return;
        }
        if (r.method === 'GET' && r.url === '/jobs') {
          return send(200, {}, [...served.jobs.values()].map((j) => ({ jobId: j.jobId, jobName: j.jobName, status: j.status })));
        }
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        let op = batchOps[r.url];
        if (target) op = logsOps[target];
        if (!op) throw new APIError(404, 'UnknownOperationException', `${r.method} ${r.url} ${target || ''} is not emulated`);
        send(200, {}, op(body));
      } catch (e) {
        const status = e.status || 500;
        const type = e.type || 'ServerException';
        if (target) send(status, {}, { __type: type, message: e.message });
        else send(status, { 'X-Amzn-ErrorType': type }, { __type: type, message: e.message });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(serveReq.port, '127.0.0.1', resolve);
  });
  await new Promise(() => {}); // until killed
}

// emulator is aws-local-stepfunctions, loaded (and patched) once.
let loaded;
function emulator() {
  loaded ??= loadEmulator();
  return loaded;
}

if (serving) {
  serveReq = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  checkRequest(serveReq);
  serveCapacity = semaphore(serveReq.maxJobs || 2);
  serve().catch((e) => {
    process.stderr.write(String(e && e.stack || e) + '\n');
    process.exit(1);
  });
} else {
  const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  execution(req, emulator().StateMachine)().then((out) => process.stdout.write(JSON.stringify(out)), (e) => {
    process.stderr.write(String(e && e.stack || e) + '\n');
    process.exit(1);
  });
}
