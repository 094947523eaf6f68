// A customer-directory app's session against a live Roster, through the
// libraries such an app ships: Apollo Client (core), graphql-ws over `ws`
// (GraphQLWsLink) for subscriptions and apollo-upload-client for the
// multipart CSV upload. The operations are the ones in operations/*.graphql
// (the same files GraphQL Code Generator types in ../codegen). Checked:
// sign in and viewer; customer pages forward and backward with cursors
// (no overlap, going back returns the previous page, the walk covers
// totalCount); keyword search; a wrong CSV previewed with its errors and
// cancelled; the right CSV (upload, importProgress up to the preview, which
// must arrive as soon as a query sees it, the preview rows, confirm,
// progress to COMPLETED); the new customers through the customers query and
// the mobile detail query; their portal-activation invitations, and a
// resent invitation's status changes through the invitationStatus
// subscription. A failed step stops the run, except the importProgress
// timing check, which nothing later depends on.
//
// Env: ROSTER_URL (http://host:port), ROSTER_WS_URL (optional, default
// ROSTER_URL with ws: and /graphql/ws; may point at a second instance),
// ROSTER_EMAIL, ROSTER_PASSWORD (a super admin or admin of an account with
// at least 7 customers, e.g. `roster bootstrap --demo`), ROSTER_OUTBOX
// (optional: the mail folder, to check the resent link's mail).
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ApolloClient, ApolloLink, InMemoryCache, split } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { getMainDefinition } from "@apollo/client/utilities/index.js";
import createUploadLink from "apollo-upload-client/createUploadLink.mjs";
import { createClient } from "graphql-ws";
import { Kind, parse, print, visit } from "graphql";
import WebSocket from "ws";

const base = process.env.ROSTER_URL?.replace(/\/$/, "");
const email = process.env.ROSTER_EMAIL;
const password = process.env.ROSTER_PASSWORD;
assert.ok(base && email && password, "set ROSTER_URL, ROSTER_EMAIL and ROSTER_PASSWORD");
const wsUrl = process.env.ROSTER_WS_URL || `${base.replace(/^http/, "ws")}/graphql/ws`;
const outbox = process.env.ROSTER_OUTBOX;
const TIMEOUT_MS = 30_000;
// importProgress sends "each change (at most about ten a second)": a change
// may wait for the next tenth of a second, so a second is generous.
const PROGRESS_LAG_MS = 1_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- operations
// Every operation file is parsed; an operation's document carries the
// fragments it uses (also those used by its fragments).
const opsDir = new URL("./operations/", import.meta.url);
const operations = new Map();
const fragments = new Map();
for (const file of readdirSync(opsDir).filter((f) => f.endsWith(".graphql")).sort()) {
  for (const def of parse(readFileSync(new URL(file, opsDir), "utf8")).definitions) {
    const into = def.kind === Kind.FRAGMENT_DEFINITION ? fragments : operations;
    assert.ok(!into.has(def.name.value), `${def.name.value} is defined twice`);
    into.set(def.name.value, def);
  }
}
function op(name) {
  const operation = operations.get(name);
  assert.ok(operation, `no operation ${name} in operations/`);
  const needed = new Map();
  const collect = (node) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragmentName = spread.name.value;
        if (needed.has(fragmentName)) return;
        const fragment = fragments.get(fragmentName);
        assert.ok(fragment, `${name} uses unknown fragment ${fragmentName}`);
        needed.set(fragmentName, fragment);
        collect(fragment);
      },
    });
  collect(operation);
  return { kind: Kind.DOCUMENT, definitions: [operation, ...needed.values()] };
}

// -------------------------------------------------------------------- client
let token = null;
const authLink = new ApolloLink((operation, forward) => {
  if (token) {
    operation.setContext(({ headers = {} }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
  }
  return forward(operation);
});
// Uploads go as GraphQL multipart requests; everything else as JSON.
const httpLink = createUploadLink({ uri: `${base}/graphql` });
const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  lazy: true,
  retryAttempts: 0,
  connectionParams: () => ({ Authorization: `Bearer ${token}` }),
});
const link = split(
  ({ query }) => {
    const def = getMainDefinition(query);
    return def.kind === Kind.OPERATION_DEFINITION && def.operation === "subscription";
  },
  new GraphQLWsLink(wsClient),
  authLink.concat(httpLink),
);
const apollo = new ApolloClient({
  link,
  cache: new InMemoryCache(),
  defaultOptions: {
    // A scenario checks the server, not the cache.
    query: { fetchPolicy: "network-only", errorPolicy: "none" },
    mutate: { errorPolicy: "none" },
  },
});

const query = async (name, variables) => (await apollo.query({ query: op(name), variables })).data;
const mutate = async (name, variables) => (await apollo.mutate({ mutation: op(name), variables })).data;

// A subscription whose events are kept, with a way to wait for one.
function subscribe(name, variables) {
  const events = [];
  const receivedAt = [];
  const waiters = new Set();
  let done = false;
  let failure = null;
  const settle = () => {
    for (const w of [...waiters]) w();
  };
  const sub = apollo.subscribe({ query: op(name), variables }).subscribe({
    next(result) {
      if (result.errors?.length) failure = new Error(`${name}: ${JSON.stringify(result.errors)}`);
      else {
        events.push(result.data);
        receivedAt.push(Date.now());
      }
      settle();
    },
    error(err) {
      failure = err instanceof Error ? err : new Error(`${name}: ${JSON.stringify(err)}`);
      settle();
    },
    complete() {
      done = true;
      settle();
    },
  });
  return {
    events,
    receivedAt,
    get done() {
      return done;
    },
    // Resolves with the first event (from `from` on) matching `predicate`.
    until(predicate, what, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no event ${what} within ${TIMEOUT_MS} ms; got ${JSON.stringify(events)}`));
        }, TIMEOUT_MS);
        const check = () => {
          const index = events.findIndex((e, i) => i >= from && predicate(e));
          if (index >= 0 || failure || done) {
            clearTimeout(timer);
            waiters.delete(check);
            if (index >= 0) resolve({ event: events[index], index });
            else reject(failure ?? new Error(`${name} completed without an event ${what}: ${JSON.stringify(events)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    // Resolves once the server completed the stream.
    completed() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: not completed within ${TIMEOUT_MS} ms`));
        }, TIMEOUT_MS);
        const check = () => {
          if (failure || done) {
            clearTimeout(timer);
            waiters.delete(check);
            if (failure) reject(failure);
            else resolve(events);
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => sub.unsubscribe(),
  };
}

let step = 0;
let failed = 0;
// A failed step ends the run, unless later steps do not depend on it
// (`{ fatal: false }`): then the run goes on and fails at the end.
async function check(name, body, { fatal = true } = {}) {
  step += 1;
  const started = Date.now();
  try {
    await body();
  } catch (err) {
    failed += 1;
    console.log(`not ok ${step} - ${name}`);
    console.log(err?.stack ?? err);
    if (err?.graphQLErrors?.length) console.log("graphQLErrors:", JSON.stringify(err.graphQLErrors, null, 2));
    if (err?.networkError) console.log("networkError:", err.networkError?.result ?? err.networkError);
    if (fatal) {
      await wsClient.dispose();
      process.exit(1);
    }
    return;
  }
  console.log(`ok ${step} - ${name} (${Date.now() - started} ms)`);
}

const note = (text) => console.log(`# ${text}`);
const ids = (page) => page.edges.map((e) => e.node.id);
const noErrors = (userErrors, what) => assert.deepEqual(userErrors, [], `${what}: userErrors`);

// ------------------------------------------------------------------ scenario
// Unique to this run, so that the scenario can run again on the same account.
const tag = `scn${randomBytes(4).toString("hex")}`;
const PAGE = 3;
let viewer;
let invitationFeed;

await check("login returns a token for the user", async () => {
  const { login } = await mutate("Login", { email, password });
  noErrors(login.userErrors, "login");
  assert.match(login.token, /\S{20,}/);
  assert.ok(Date.parse(login.expiresAt) > Date.now(), `expiresAt ${login.expiresAt}`);
  assert.equal(login.user.email.toLowerCase(), email.toLowerCase());
  token = login.token;
});

await check("viewer is the signed-in user", async () => {
  ({ viewer } = await query("Viewer"));
  assert.equal(viewer.email.toLowerCase(), email.toLowerCase());
  assert.ok(["SUPER_ADMIN", "ADMIN"].includes(viewer.role), `role ${viewer.role}`);
  assert.equal(viewer.status, "ACTIVE");
  assert.ok(viewer.account.name);
});

await check("invitationStatus subscription opens (on the WebSocket URL)", async () => {
  // Opened now, long before any invitation of this run exists, so that it
  // is certainly live when the import creates them.
  invitationFeed = subscribe("InvitationStatus");
  // The stream has no initial event; a query on the same socket proves
  // the connection was acknowledged with this token.
  const probe = await new Promise((resolve, reject) => {
    const results = [];
    wsClient.subscribe(
      { query: print(op("Viewer")) },
      { next: (r) => results.push(r), error: reject, complete: () => resolve(results) },
    );
  });
  assert.equal(probe[0].data.viewer.email, viewer.email);
});

let totalBefore;
const forward = [];
await check("customers: pages forward with first/after, then back with last/before", async () => {
  // Forward, three pages.
  let after = null;
  for (let i = 0; i < 3; i++) {
    const { customers } = await query("CustomersPage", { first: PAGE, after });
    if (i === 0) {
      totalBefore = customers.totalCount;
      assert.ok(totalBefore >= 2 * PAGE + 1, `needs at least ${2 * PAGE + 1} customers, the account has ${totalBefore}`);
      assert.equal(customers.pageInfo.hasPreviousPage, false, "first page: hasPreviousPage");
    }
    assert.equal(customers.totalCount, totalBefore, "totalCount is the same on every page");
    assert.ok(customers.edges.length > 0 && customers.edges.length <= PAGE, `page ${i + 1} size`);
    assert.equal(customers.pageInfo.startCursor, customers.edges[0].cursor, "startCursor is the first edge's");
    assert.equal(customers.pageInfo.endCursor, customers.edges.at(-1).cursor, "endCursor is the last edge's");
    if (i < 2) assert.equal(customers.pageInfo.hasNextPage, true, `page ${i + 1}: hasNextPage`);
    forward.push(customers);
    after = customers.pageInfo.endCursor;
  }
  const seen = forward.flatMap(ids);
  assert.equal(new Set(seen).size, seen.length, `forward pages overlap: ${JSON.stringify(forward.map(ids))}`);

  // Back from page 3: page 2, then page 1.
  const back2 = (await query("CustomersPage", { last: PAGE, before: forward[2].pageInfo.startCursor })).customers;
  assert.deepEqual(ids(back2), ids(forward[1]), "last/before page 3's startCursor is page 2");
  assert.equal(back2.pageInfo.hasPreviousPage, true, "page 2 (backward): hasPreviousPage");
  assert.deepEqual(
    back2.edges.map((e) => e.cursor),
    forward[1].edges.map((e) => e.cursor),
    "the same edges have the same cursors both ways",
  );
  const back1 = (await query("CustomersPage", { last: PAGE, before: back2.pageInfo.startCursor })).customers;
  assert.deepEqual(ids(back1), ids(forward[0]), "last/before page 2's startCursor is page 1");
  assert.equal(back1.pageInfo.hasPreviousPage, false, "page 1 (backward): hasPreviousPage");

  // The whole list, forward to the end, then its tail with `last` alone.
  const all = [...seen];
  let page = forward[2];
  while (page.pageInfo.hasNextPage) {
    page = (await query("CustomersPage", { first: PAGE, after: page.pageInfo.endCursor })).customers;
    assert.ok(page.edges.length > 0, "a page announced by hasNextPage is not empty");
    all.push(...ids(page));
  }
  assert.equal(new Set(all).size, all.length, "no customer appears twice over the walk");
  assert.equal(all.length, totalBefore, "the walk covers totalCount");
  const tail = (await query("CustomersPage", { last: PAGE })).customers;
  assert.deepEqual(ids(tail), all.slice(-PAGE), "last alone is the end of the list");
  assert.equal(tail.pageInfo.hasNextPage, false, "last page (backward): hasNextPage");
});

await check("search finds a customer by name, and nothing for an unknown word", async () => {
  const target = forward[1].edges[0].node;
  const { customers } = await query("SearchCustomers", { keyword: target.fullName.toUpperCase() });
  assert.ok(customers.nodes.some((c) => c.id === target.id), `"${target.fullName}" finds ${JSON.stringify(customers.nodes)}`);
  assert.equal(customers.totalCount, customers.nodes.length, "a small result fits one page");
  const words = target.fullName.toLowerCase().split(/\s+/);
  for (const c of customers.nodes) {
    const text = `${c.fullName} ${c.email} ${c.company?.name ?? ""}`.toLowerCase();
    for (const w of words) assert.ok(text.includes(w), `${JSON.stringify(c)} matches "${w}"`);
  }
  const none = (await query("SearchCustomers", { keyword: `${tag}nothing` })).customers;
  assert.equal(none.totalCount, 0);
  assert.deepEqual(none.nodes, []);
});

// Four good rows, one without an email (refused in the preview). Columns
// in the sample's names, in another order and case.
const company = `Scenario ${tag} Ltd`;
const people = [
  { first: "Ada", last: `Lovelace${tag}`, mobile: "+44 20 7946 0001", job: "Analyst" },
  { first: "Alan", last: `Turing${tag}`, mobile: "+44 20 7946 0002", job: "Cryptographer" },
  { first: "Grace", last: `Hopper${tag}`, mobile: "+1 202 555 0103", job: "Rear Admiral" },
  { first: "Edsger", last: `Dijkstra${tag}`, mobile: "+31 20 555 0104", job: "Professor" },
].map((p) => ({ ...p, email: `${p.first.toLowerCase()}.${tag}@scenario.example` }));
const csv = [
  "Email,First_Name,last_name,Company,mobile_phone,job_title",
  ...people.map((p) => `${p.email},${p.first},${p.last},${company},${p.mobile},${p.job}`),
  `,Nobody,Noaddress${tag},${company},,`,
].join("\r\n");
let job;
let progress;
const upload = async (text, fileName) => {
  const file = new File([text], fileName, { type: "text/csv" });
  const { startCustomerImport } = await mutate("StartCustomerImport", {
    file,
    options: { sendActivationEmails: true, duplicates: "SKIP", companies: "CREATE_MISSING" },
  });
  noErrors(startCustomerImport.userErrors, "startCustomerImport");
  return startCustomerImport.job;
};
const waitForPreview = async (id) => {
  for (const started = Date.now(); Date.now() - started < TIMEOUT_MS; await sleep(50)) {
    const { importJob } = await query("ImportPreview", { id, first: 1 });
    if (importJob.phase === "AWAITING_CONFIRMATION") return { importJob, at: Date.now() };
    assert.ok(["UPLOADED", "VALIDATING"].includes(importJob.phase), `job ${id} is ${importJob.phase}`);
  }
  assert.fail(`job ${id} did not reach AWAITING_CONFIRMATION within ${TIMEOUT_MS} ms`);
};

await check("a wrong file is previewed with its errors and cancelled", async () => {
  // The user first picks a file whose every row has an unknown language.
  const wrong = [
    "first_name,last_name,email,Company,mobile_phone,job_title,locale",
    ...people.map((p) => `${p.first},${p.last},${p.email},${company},${p.mobile},${p.job},klingon`),
  ].join("\n");
  const first = await upload(wrong, `wrong-${tag}.csv`);
  const { importJob } = await waitForPreview(first.id);
  assert.equal(importJob.totalRows, people.length);
  assert.equal(importJob.errorCount, people.length, JSON.stringify(importJob));
  assert.equal(importJob.toCreate, 0);
  assert.ok(
    importJob.rows.nodes[0].issues.some((i) => i.column === "locale" && i.code === "INVALID"),
    `the language is refused: ${JSON.stringify(importJob.rows.nodes[0])}`,
  );
  // Opened now, the stream starts with the current state, then ends with
  // the cancellation.
  const feed = subscribe("ImportProgress", { jobId: first.id });
  await feed.until((e) => e.importProgress.phase === "AWAITING_CONFIRMATION", "the current state");
  const { cancelImport } = await mutate("CancelImport", { id: first.id });
  noErrors(cancelImport.userErrors, "cancelImport");
  assert.equal(cancelImport.job.phase, "CANCELLED");
  const events = await feed.completed();
  assert.deepEqual(events.map((e) => e.importProgress.phase), ["AWAITING_CONFIRMATION", "CANCELLED"]);
  const again = await mutate("ConfirmImport", { id: first.id });
  assert.equal(again.confirmImport.job, null, "a cancelled import cannot be confirmed");
  assert.equal(again.confirmImport.userErrors[0]?.code, "NOT_ALLOWED", JSON.stringify(again.confirmImport));
  assert.equal((await query("SearchCustomers", { keyword: tag })).customers.totalCount, 0, "nothing written");
});

await check("startCustomerImport uploads the right CSV (multipart)", async () => {
  job = await upload(csv, `customers-${tag}.csv`);
  assert.equal(job.fileName, `customers-${tag}.csv`);
  assert.equal(job.totalRows, people.length + 1);
  assert.equal(job.sendActivationEmails, true);
  assert.deepEqual(job.unknownColumns, []);
  assert.ok(["UPLOADED", "VALIDATING", "AWAITING_CONFIRMATION"].includes(job.phase), job.phase);
});

let previewLag;
await check("importProgress streams up to the preview (AWAITING_CONFIRMATION)", async () => {
  progress = subscribe("ImportProgress", { jobId: job.id });
  // Meanwhile the job is read over HTTP: once a query sees the preview
  // ready, the subscription must tell too, within PROGRESS_LAG_MS.
  const { at: readyAt } = await waitForPreview(job.id);
  const { event, index } = await progress.until(
    (e) => e.importProgress.phase === "AWAITING_CONFIRMATION",
    "AWAITING_CONFIRMATION",
  );
  previewLag = progress.receivedAt[index] - readyAt;
  note(
    `importProgress up to the preview: ${progress.events
      .map((e, i) => `${e.importProgress.phase}:${e.importProgress.processedRows}@+${progress.receivedAt[i] - readyAt}ms`)
      .join(" ")} (relative to the query that first saw AWAITING_CONFIRMATION)`,
  );
  const order = ["UPLOADED", "VALIDATING", "AWAITING_CONFIRMATION"];
  const phases = progress.events.map((e) => e.importProgress.phase);
  for (let i = 1; i < phases.length; i++) {
    assert.ok(order.indexOf(phases[i]) >= order.indexOf(phases[i - 1]), `phases go forward: ${phases}`);
  }
  const preview = event.importProgress;
  assert.equal(preview.id, job.id);
  assert.equal(preview.totalRows, people.length + 1);
  assert.equal(preview.processedRows, people.length + 1, "every row validated");
  assert.equal(preview.toCreate, people.length);
  assert.equal(preview.toUpdate, 0);
  assert.equal(preview.toSkip, 0);
  assert.equal(preview.errorCount, 1);
  assert.equal(preview.created, 0, "nothing written before confirmImport");
});

await check(
  "importProgress tells of the preview as soon as a query sees it",
  () => {
    assert.ok(
      previewLag <= PROGRESS_LAG_MS,
      `importProgress delivered AWAITING_CONFIRMATION ${previewLag} ms after a query saw it (at most ${PROGRESS_LAG_MS} ms)`,
    );
  },
  { fatal: false },
);

await check("the preview lists the refused row with its issue", async () => {
  const { importJob } = await query("ImportPreview", { id: job.id });
  assert.equal(importJob.phase, "AWAITING_CONFIRMATION");
  assert.equal(importJob.rows.totalCount, people.length + 1);
  const actions = importJob.rows.nodes.map((r) => [r.rowNumber, r.action]);
  assert.deepEqual(actions, [[2, "CREATE"], [3, "CREATE"], [4, "CREATE"], [5, "CREATE"], [6, "ERROR"]]);
  const bad = (await query("ImportPreview", { id: job.id, withIssues: true })).importJob.rows.nodes;
  assert.equal(bad.length, 1, JSON.stringify(bad));
  assert.equal(bad[0].rowNumber, 6);
  assert.ok(
    bad[0].issues.some((i) => i.column?.toLowerCase() === "email" && i.code === "BLANK"),
    `the missing email is reported: ${JSON.stringify(bad[0].issues)}`,
  );
  // No customer yet.
  const { customers } = await query("SearchCustomers", { keyword: tag });
  assert.equal(customers.totalCount, 0, "preview writes nothing");
});

await check("confirmImport writes the rows; importProgress ends with COMPLETED", async () => {
  const seenBefore = progress.events.length;
  const { confirmImport } = await mutate("ConfirmImport", { id: job.id });
  noErrors(confirmImport.userErrors, "confirmImport");
  assert.ok(["IMPORTING", "COMPLETED"].includes(confirmImport.job.phase), confirmImport.job.phase);
  const { event } = await progress.until((e) => e.importProgress.phase === "COMPLETED", "COMPLETED", seenBefore);
  const done = event.importProgress;
  assert.equal(done.created, people.length);
  assert.equal(done.updated, 0);
  assert.equal(done.failed, 1);
  assert.equal(done.failure, null);
  await progress.completed();
  const phases = progress.events.map((e) => e.importProgress.phase);
  note(`importProgress events: ${progress.events.map((e) => `${e.importProgress.phase}:${e.importProgress.processedRows}`).join(" ")}`);
  assert.equal(phases.at(-1), "COMPLETED", `the stream ends with the terminal phase: ${phases}`);
  assert.ok(
    phases.slice(seenBefore).every((p) => ["AWAITING_CONFIRMATION", "IMPORTING", "COMPLETED"].includes(p)),
    `phases after confirm: ${phases}`,
  );
});

let imported;
await check("the new customers are in the customers query", async () => {
  const { customers } = await query("SearchCustomers", { keyword: tag, first: 10 });
  assert.equal(customers.totalCount, people.length);
  imported = new Map(customers.nodes.map((c) => [c.email, c]));
  for (const p of people) {
    const c = imported.get(p.email);
    assert.ok(c, `${p.email} imported: ${JSON.stringify(customers.nodes)}`);
    assert.equal(c.fullName, `${p.first} ${p.last}`);
    assert.equal(c.jobTitle, p.job);
    assert.equal(c.company?.name, company);
    assert.equal(c.portalAccess, "STANDARD", "activation mail asked: portal access");
  }
  const page = (await query("CustomersPage", { first: 1 })).customers;
  assert.equal(page.totalCount, totalBefore + people.length, "totalCount grew by the imported rows");
  // Sorted by name, the imported ones sit where their last names put them.
  const byName = (await query("SearchCustomers", { keyword: `${company}` })).customers.nodes.map((c) => c.email);
  assert.deepEqual(byName, [...people].sort((a, b) => a.last.localeCompare(b.last)).map((p) => p.email));
});

await check("mobile customer detail", async () => {
  const p = people[2];
  const { customer } = await query("MobileCustomerDetail", { id: imported.get(p.email).id });
  assert.deepEqual(customer, {
    __typename: "Customer",
    id: imported.get(p.email).id,
    fullName: `${p.first} ${p.last}`,
    email: p.email,
    mobilePhone: p.mobile,
    officePhone: null,
    jobTitle: p.job,
    avatarUrl: null,
    company: { __typename: "Company", id: imported.get(p.email).company.id, name: company },
  });
});

let invitation;
await check("the import's portal-activation invitations are listed and get SENT", async () => {
  const filter = { kinds: ["PORTAL_ACTIVATION"], keyword: tag };
  const { invitations } = await query("Invitations", { filter });
  assert.equal(invitations.totalCount, people.length, JSON.stringify(invitations.nodes));
  const emails = invitations.nodes.map((i) => i.email).sort();
  assert.deepEqual(emails, people.map((p) => p.email).sort());
  for (const i of invitations.nodes) {
    assert.equal(i.kind, "PORTAL_ACTIVATION");
    assert.ok(["PENDING", "SENT"].includes(i.status), i.status);
    assert.equal(i.customer?.id, imported.get(i.email).id, "the invitation names its customer");
    assert.ok(Date.parse(i.expiresAt) > Date.now());
  }
  // The subscription reports each one as SENT once the outbox handed its
  // mail over (it was open before they existed).
  for (const p of people) {
    await invitationFeed.until(
      (e) => e.invitationStatus.email === p.email && e.invitationStatus.status === "SENT",
      `SENT for ${p.email}`,
    );
  }
  const sent = (await query("Invitations", { filter: { ...filter, statuses: ["SENT"] } })).invitations;
  assert.equal(sent.totalCount, people.length, "all SENT in the list too");
  invitation = sent.nodes.find((i) => i.email === people[0].email);
  assert.ok(invitation.sentAt, "sentAt set");
});

await check("resendInvitation: invitationStatus goes PENDING then SENT again", async () => {
  const from = invitationFeed.events.length;
  const { resendInvitation } = await mutate("ResendInvitation", { id: invitation.id });
  noErrors(resendInvitation.userErrors, "resendInvitation");
  const resent = resendInvitation.invitation;
  assert.equal(resent.id, invitation.id);
  assert.ok(["PENDING", "SENT"].includes(resent.status), resent.status);
  assert.ok(Date.parse(resent.expiresAt) >= Date.parse(invitation.expiresAt), "a new expiry");
  const pending = await invitationFeed.until(
    (e) => e.invitationStatus.id === invitation.id && e.invitationStatus.status === "PENDING",
    "PENDING after the resend",
    from,
  );
  const again = await invitationFeed.until(
    (e) => e.invitationStatus.id === invitation.id && e.invitationStatus.status === "SENT",
    "SENT after the resend",
    pending.index + 1,
  );
  assert.ok(
    Date.parse(again.event.invitationStatus.sentAt) >= Date.parse(invitation.sentAt),
    `sentAt moves on: ${invitation.sentAt} -> ${again.event.invitationStatus.sentAt}`,
  );
  note(
    `invitationStatus events of this run: ${invitationFeed.events
      .filter((e) => e.invitationStatus.email.includes(tag))
      .map((e) => `${e.invitationStatus.email.split(".")[0]}:${e.invitationStatus.status}`)
      .join(" ")}`,
  );
  const others = invitationFeed.events
    .slice(from)
    .filter((e) => e.invitationStatus.id !== invitation.id && e.invitationStatus.email.includes(tag));
  assert.deepEqual(others, [], "only the resent invitation changed");
});

if (outbox) {
  await check("the outbox holds two mails for the resent invitation, with different links", async () => {
    const mails = readdirSync(outbox)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => readFileSync(join(outbox, f), "utf8"))
      .filter((text) => text.includes(invitation.email));
    assert.equal(mails.length, 2, `mails to ${invitation.email}`);
    const tokens = mails.map((text) => {
      const m = text.replace(/=\r?\n/g, "").replace(/=3D/g, "=").match(/token=([A-Za-z0-9_\-.~%]+)/);
      assert.ok(m, `a link with token= in ${text.slice(0, 2000)}`);
      return m[1];
    });
    assert.notEqual(tokens[0], tokens[1], "the resent mail has a new link");
  });
}

invitationFeed.stop();
await wsClient.dispose();
if (failed) {
  console.log(`scenario FAILED: ${failed} of ${step} steps (run ${tag}; subscriptions via ${wsUrl})`);
  process.exit(1);
}
console.log(`scenario passed: ${step} steps (run ${tag}; subscriptions via ${wsUrl})`);
