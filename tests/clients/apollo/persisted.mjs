// Runs operations through Apollo Client's own persisted-query link (over
// POST, then with GET for hashed queries) against a live Roster, and
// checks on the wire that the server learnt each document once and was
// then asked by hash alone. Env: ROSTER_URL, ROSTER_TOKEN.
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";

const url = `${process.env.ROSTER_URL}/graphql`;
const token = process.env.ROSTER_TOKEN;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function client(useGET) {
  const wire = [];
  const fetchLogged = async (input, init) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(init.body) : null;
    const res = await fetch(input, init);
    const copy = res.clone();
    wire.push({ method, url: String(input), body, result: await copy.json() });
    return res;
  };
  const http = new HttpLink({
    uri: url,
    fetch: fetchLogged,
    headers: { authorization: `Bearer ${token}` },
  });
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: useGET }).concat(http);
  return { apollo: new ApolloClient({ link, cache: new InMemoryCache() }), wire };
}

const VIEWER = gql`
  query PersistedViewer {
    viewer {
      email
    }
  }
`;

for (const useGET of [false, true]) {
  const { apollo, wire } = client(useGET);
  // A fresh server (or a fresh document) does not know the hash: the link
  // retries with the text after PERSISTED_QUERY_NOT_FOUND.
  const variant = useGET ? "GET" : "POST";
  const query = gql`
    query PersistedCustomers${variant} {
      customers(first: 2) {
        totalCount
      }
      viewer {
        email
      }
    }
  `;
  const first = await apollo.query({ query, fetchPolicy: "network-only" });
  assert.ok(first.data.viewer.email, "first answer");
  assert.equal(wire.length, 2, `hash, then hash and text: ${JSON.stringify(wire)}`);
  assert.equal(wire[0].result.errors[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
  assert.equal(wire[1].method, "POST", "the text goes by POST");
  assert.ok(wire[1].body.query, "the retry carries the text");
  // From now on the hash alone.
  const second = await apollo.query({ query, fetchPolicy: "network-only" });
  assert.deepEqual(second.data, first.data);
  const last = wire[wire.length - 1];
  assert.equal(wire.length, 3, JSON.stringify(wire));
  assert.equal(last.method, useGET ? "GET" : "POST");
  if (useGET) {
    assert.ok(!new URL(last.url).searchParams.get("query"), "GET by hash alone");
  } else {
    assert.ok(!last.body.query, "POST by hash alone");
  }
  assert.ok(!last.result.errors, JSON.stringify(last.result));
  console.log(`persisted queries over ${variant}: learnt once, then sent by hash`);
}

// A second client reuses what the first taught the server: one request.
const teacher = client(false);
const taught = await teacher.apollo.query({ query: VIEWER, fetchPolicy: "network-only" });
assert.ok(taught.data.viewer.email);
const learner = client(false);
await learner.apollo.query({ query: VIEWER, fetchPolicy: "network-only" });
assert.equal(learner.wire.length, 1, JSON.stringify(learner.wire));
console.log("persisted queries: a known hash answers at once");
