// Drives Roster's /graphql/ws with graphql-ws, the reference client of the
// graphql-transport-ws protocol. Usage:
//   ROSTER_URL=http://127.0.0.1:8080 ROSTER_TOKEN=<token> node check.mjs
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const base = process.env.ROSTER_URL;
const token = process.env.ROSTER_TOKEN;
assert.ok(base && token, 'set ROSTER_URL and ROSTER_TOKEN');
const url = base.replace(/^http/, 'ws') + '/graphql/ws';

function client(connectionParams, on = {}) {
  return createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true, on });
}

function run(c, payload) {
  return new Promise((resolve, reject) => {
    const results = [];
    c.subscribe(payload, {
      next: (value) => results.push(value),
      error: reject,
      complete: () => resolve(results),
    });
  });
}

const checks = [];
async function check(name, body) {
  try {
    await body();
    checks.push([name, true]);
    console.log(`ok - ${name}`);
  } catch (err) {
    checks.push([name, false]);
    console.log(`not ok - ${name}: ${err?.stack ?? err?.reason ?? JSON.stringify(err)}`);
  }
}

await check('a subscription streams until complete', async () => {
  const c = client({ Authorization: `Bearer ${token}` });
  const ticks = await run(c, { query: 'subscription { serverTime(intervalSeconds: 1, count: 2) }' });
  assert.equal(ticks.length, 2);
  for (const tick of ticks) assert.equal(typeof tick.data.serverTime, 'string');
  await c.dispose();
});

await check('queries and mutations run over the socket', async () => {
  const c = client({ token });
  const [result] = await run(c, { query: 'query Me { viewer { email } }', operationName: 'Me' });
  assert.ok(result.data.viewer.email.includes('@'));
  const errors = await run(c, { query: '{ customer(id: "nope") { id } }' });
  assert.equal(errors[0].errors[0].extensions.code, 'BAD_USER_INPUT');
  await c.dispose();
});

await check('an invalid request gets an error message', async () => {
  const c = client({ token });
  await assert.rejects(run(c, { query: 'subscription { nope }' }), (errors) => {
    assert.ok(Array.isArray(errors) && errors.length > 0, JSON.stringify(errors));
    return true;
  });
  await c.dispose();
});

await check('a bad token is refused with 4403', async () => {
  let code;
  const c = client({ Authorization: 'Bearer rst_nope' }, { closed: (event) => { code = event.code; } });
  await assert.rejects(run(c, { query: '{ __typename }' }));
  assert.equal(code, 4403);
  await c.dispose();
});

const failed = checks.filter(([, ok]) => !ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
