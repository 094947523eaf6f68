// Drives Roster's GraphiQL page (/graphiql) in headless Chromium as an
// admin would: sign in with the sign-in panel, run a query, run a
// subscription and see an event arrive, upload a customer CSV in the CSV
// panel, watch its progress live, confirm at the preview and see it end.
//
// ROSTER_URL, ROSTER_EMAIL, ROSTER_PASSWORD: a running server and a super
// admin of its account. CHROMIUM: the browser (default /usr/bin/chromium).
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.ROSTER_URL;
const email = process.env.ROSTER_EMAIL;
const password = process.env.ROSTER_PASSWORD;
assert.ok(url && email && password, "ROSTER_URL, ROSTER_EMAIL and ROSTER_PASSWORD are required");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const tag = `giql${Date.now().toString(36)}`;
const TIMEOUT = 30_000;

async function graphql(token, query, variables = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.ok(!body.errors, `${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// The value of the GraphiQL editor (CodeMirror 5) under `selector`.
function editorValue(page, selector) {
  return page.evaluate((s) => {
    const node = document.querySelector(`${s} .CodeMirror`);
    return node ? node.CodeMirror.getValue() : null;
  }, selector);
}

async function runInEditor(page, document) {
  await page.evaluate((d) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(d);
  }, document);
  // GraphiQL reads the operation from the editor after a short debounce,
  // as it does while someone types.
  await page.waitForTimeout(600);
  await page.click(".graphiql-execute-button");
}

async function waitForResponse(page, predicate, what) {
  const started = Date.now();
  let last = null;
  while (Date.now() - started < TIMEOUT) {
    last = await editorValue(page, ".graphiql-response");
    if (last && predicate(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: the response pane shows ${JSON.stringify(last)}`);
}

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
const problems = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  await page.goto(`${url}/graphiql`);

  // 1. Sign in: the panel is open on a first visit (no token saved yet).
  await page.fill("#roster-signin-email", email);
  await page.fill("#roster-signin-password", "not the password");
  await page.click("#roster-signin-submit");
  await page.waitForFunction(() => /Sign-in failed/.test(document.querySelector("#roster-signin-status").textContent));
  await page.fill("#roster-signin-password", password);
  await page.click("#roster-signin-submit");
  await page.waitForFunction(() => /Signed in as/.test(document.querySelector("#roster-signin-status").textContent));
  const headers = JSON.parse(await page.evaluate(() => localStorage.getItem("graphiql:headers")));
  assert.match(headers.Authorization ?? "", /^Bearer \S+$/, "the Headers tab holds the token");
  const token = headers.Authorization.slice("Bearer ".length);
  const tab = await page.evaluate(() =>
    [...document.querySelectorAll(".graphiql-editor-tool .CodeMirror")].map((n) => n.CodeMirror.getValue()).join("\n"),
  );
  assert.ok(tab.includes(headers.Authorization), `the Headers tab shows the token: ${tab}`);
  console.log("GraphiQL: signed in through the sign-in panel");

  // 2. A query, signed in by the Headers tab.
  await runInEditor(page, "query Me { viewer { email role } }");
  const me = JSON.parse(await waitForResponse(page, (v) => v.includes('"viewer"'), "query"));
  assert.equal(me.data.viewer.email, email);
  assert.equal(me.data.viewer.role, "SUPER_ADMIN");
  console.log("GraphiQL: query answered");

  // 3. A subscription over graphql-ws; an event made elsewhere arrives.
  await runInEditor(page, "subscription Feed { activityAdded { action targetName } }");
  const company = `${tag} Company`;
  // The subscription starts asynchronously: make events until one shows.
  let seen = null;
  for (let attempt = 0; attempt < 20 && !seen; attempt++) {
    await graphql(token, "mutation($n: String!) { createCompany(input: { name: $n }) { userErrors { message } } }", {
      n: `${company} ${attempt}`,
    });
    try {
      seen = await (async () => {
        const started = Date.now();
        while (Date.now() - started < 1_000) {
          const v = await editorValue(page, ".graphiql-response");
          if (v && v.includes(company)) return v;
          await page.waitForTimeout(100);
        }
        return null;
      })();
    } catch {
      seen = null;
    }
  }
  assert.ok(seen, `the subscription shows the new company's activity; the pane: ${await editorValue(page, ".graphiql-response")}; problems: ${problems}`);
  assert.equal(JSON.parse(seen).data.activityAdded.action, "company.create");
  await page.click(".graphiql-execute-button"); // stops the subscription
  console.log("GraphiQL: subscription delivered an event");

  // 4. CSV upload in the CSV panel, progress followed live, then confirm.
  await page.click('button[aria-label*="Import customers (CSV)"]');
  const rows = 300;
  const csv = ["first_name,last_name,email,job_title"];
  for (let i = 0; i < rows; i++) csv.push(`Row${i},${tag},${tag}.${i}@graphiql.test,Tester`);
  csv.push(`Broken,${tag},not-an-address,Tester`); // row rows + 2 (the header is row 1)
  await page.setInputFiles("#roster-import-file", {
    name: `${tag}.csv`,
    mimeType: "text/csv",
    buffer: Buffer.from(csv.join("\n") + "\n"),
  });
  // Every phase the panel shows, in order, as the page renders it.
  await page.evaluate(() => {
    window.rosterPhases = [];
    new MutationObserver(() => {
      const job = document.querySelector("#roster-import-job");
      const phase = job && job.dataset.phase;
      if (phase && window.rosterPhases[window.rosterPhases.length - 1] !== phase) window.rosterPhases.push(phase);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-phase"] });
  });
  await page.click("#roster-import-upload");
  await page.waitForSelector('#roster-import-job[data-phase="AWAITING_CONFIRMATION"]');
  const preview = await page.textContent("#roster-import-summary");
  assert.match(preview, new RegExp(`${rows} to create.* 1 with errors`), preview);
  await page.waitForSelector("#roster-import-issues li");
  const issues = await page.textContent("#roster-import-issues");
  assert.match(issues, new RegExp(`^Row ${rows + 2} \\(not imported\\): email`), issues);
  assert.equal(await page.getAttribute("#roster-import-progress", "max"), String(rows + 1));
  await page.click("#roster-import-confirm");
  await page.waitForSelector('#roster-import-job[data-phase="COMPLETED"]');
  const done = await page.textContent("#roster-import-summary");
  assert.match(done, new RegExp(`${rows} created.* 1 failed`), done);
  const phases = await page.evaluate(() => window.rosterPhases);
  // The upload's answer is the job as uploaded; the preview and the end
  // can only have come from the importProgress subscription.
  assert.equal(phases.at(-1), "COMPLETED", `phases: ${phases}`);
  assert.ok(phases.indexOf("AWAITING_CONFIRMATION") > 0, `phases: ${phases}`);
  console.log(`GraphiQL: CSV import followed live through ${phases.join(" → ")}`);

  const found = await graphql(token, "query($k: String!) { customers(filter: { keyword: $k }) { totalCount } }", {
    k: tag,
  });
  assert.equal(found.customers.totalCount, rows, "the imported customers are there");

  // 5. Sign out: the token leaves the Headers tab and stops working.
  await page.click('button[aria-label*="Sign in"]');
  await page.click("#roster-signout");
  await page.waitForFunction(() => /Signed out/.test(document.querySelector("#roster-signin-status").textContent));
  const after = JSON.parse(await page.evaluate(() => localStorage.getItem("graphiql:headers")));
  assert.equal(after.Authorization, undefined);
  const refused = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ viewer { email } }" }),
  }).then((r) => r.json());
  assert.ok(refused.errors, "the signed-out token is refused");
  console.log("GraphiQL: signed out");
} finally {
  await browser.close();
}
assert.deepEqual(problems, [], "the page logged no errors");
console.log("GraphiQL check passed");
