#!/usr/bin/env node
// Load driver of bench/compare/run.sh. Subcommands (all read the JSON
// config run.sh writes; see `usage` below):
//
//   login   --url U --email E --password P [--expect-customers N]
//           signs in to Roster, prints {"token":..., "customerByEmail":bool}
//           and checks customers.totalCount when asked
//   check   --config F
//           runs every case once on every server, checks the answers and
//           that all servers return the same data; exit 1 otherwise
//   load    --config F --out results.jsonl
//           the interleaved load runs (autocannon), every response checked
//   count   --config F --server NAME --out counts.jsonl
//           SQL statements per request, from the PostgreSQL log
//   search  --config F --out results.jsonl
//           case e (keyword search, one connection), Roster only
//   report  --config F --results results.jsonl [--counts counts.jsonl] [--md FILE]

import { createRequire } from "node:module";
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { makeCase, CASE_TITLES } from "./cases.mjs";

const require = createRequire(import.meta.url);
const autocannon = require("autocannon");

function usage(msg) {
  if (msg) console.error(`driver: ${msg}`);
  console.error(
    "usage: driver.mjs login|check|load|count|search|report [--config F] [--out F] ...",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const key = a.slice(2);
      const val = argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[++i] : true;
      out[key] = val;
    } else out._.push(a);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const cmd = args._[0];
const config = args.config ? JSON.parse(fs.readFileSync(args.config, "utf8")) : null;

function headersOf(server) {
  const h = { "content-type": "application/json", accept: "application/json" };
  if (server.token) h.authorization = `Bearer ${server.token}`;
  return h;
}

async function post(server, body, timeoutMs = 30000) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: headersOf(server),
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* reported below */
  }
  return { status: res.status, text, json };
}

function fail(msg) {
  console.error(`\nFAILED: ${msg}\n`);
  process.exit(1);
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ------------------------------------------------------------------ login
async function login() {
  const server = { url: args.url };
  const q = `mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { token userErrors { field message } }
  }`;
  const r = await post(server, JSON.stringify({ query: q, variables: { email: args.email, password: args.password } }));
  const token = r.json?.data?.login?.token;
  if (r.status !== 200 || !token) {
    fail(`Roster login as ${args.email} failed (HTTP ${r.status}): ${r.text.slice(0, 500)}`);
  }
  server.token = token;
  const intro = await post(server, JSON.stringify({ query: "{ __schema { queryType { fields { name } } } }" }));
  const fields = intro.json?.data?.__schema?.queryType?.fields?.map((f) => f.name);
  if (!fields) fail(`Roster introspection failed: ${intro.text.slice(0, 300)}`);
  const out = { token, customerByEmail: fields.includes("customerByEmail") };
  if (args["expect-customers"]) {
    const want = Number(args["expect-customers"]);
    const c = await post(server, JSON.stringify({ query: "{ customers(first: 1) { totalCount } }" }));
    const got = c.json?.data?.customers?.totalCount;
    if (got !== want) {
      fail(`Roster sees ${got} customers, expected ${want}: ${c.text.slice(0, 300)}`);
    }
    out.totalCount = got;
    console.error(`driver: Roster signed in; customers.totalCount = ${got}`);
  }
  console.log(JSON.stringify(out));
}

// ------------------------------------------------------------------ check
function stable(v) {
  return JSON.stringify(v);
}

function firstDifference(a, b, path = "") {
  if (stable(a) === stable(b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || "list"}: ${a.length} vs ${b.length} items`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || "value"}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
}

async function check() {
  const { servers, cases, fixtures } = config;
  let problems = 0;
  for (const caseName of cases) {
    let reference = null;
    let referenceName = null;
    for (const server of servers) {
      const c = makeCase(caseName, server, fixtures);
      const samples = caseName === "c" || caseName === "d" ? [0, 1, 2] : [0];
      const values = [];
      for (const i of samples) {
        const { body, expect } = c.next(i);
        const r = await post(server, body);
        const why =
          r.status !== 200 ? `HTTP ${r.status}: ${r.text.slice(0, 300)}` : c.check(r.json, expect);
        if (why) {
          console.error(`check: case ${caseName} on ${server.name}: ${why}`);
          problems++;
          continue;
        }
        values.push(c.normalise(r.json, expect));
      }
      if (values.length !== samples.length) continue;
      if (reference === null) {
        reference = values;
        referenceName = server.name;
        const size = Array.isArray(values[0]) ? values[0].length : values[0]?.employees?.length;
        console.error(
          `check: case ${caseName}: ${server.name} answered` + (size !== undefined ? ` (${size} rows)` : ""),
        );
      } else {
        const diff = firstDifference(reference, values);
        if (diff) {
          console.error(`check: case ${caseName}: ${server.name} differs from ${referenceName}: ${diff}`);
          problems++;
        } else {
          console.error(`check: case ${caseName}: ${server.name} returns the same data as ${referenceName}`);
        }
      }
    }
  }
  if (problems) fail(`${problems} problem(s) in the equivalence check (see above)`);
  console.error("check: all servers return the same data for every case");
}

// ------------------------------------------------------------------ load
function cannon(server, caseName, { duration, connections }) {
  const c = makeCase(caseName, server, config.fixtures);
  const verified = new Map(); // expect + body -> true (bodies already fully checked)
  let i = 0;
  let good = 0;
  const problems = new Map();
  const bad = (why) => problems.set(why, (problems.get(why) || 0) + 1);
  const latencies = [];
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: `${url.protocol}//${url.host}`,
        connections,
        pipelining: 1,
        duration,
        timeout: 30,
        headers: headersOf(server),
        requests: [
          {
            method: "POST",
            path: url.pathname,
            setupRequest: (req, context) => {
              const n = c.next(i++);
              context.expect = n.expect;
              return { ...req, body: n.body };
            },
            onResponse: (status, body, context) => {
              if (status !== 200) {
                bad(`HTTP ${status}: ${String(body).slice(0, 200)}`);
                return;
              }
              const key = `${context.expect}\u0000${body}`;
              if (verified.has(key)) {
                good++;
                return;
              }
              let json;
              try {
                json = JSON.parse(body);
              } catch {
                bad(`not JSON: ${String(body).slice(0, 200)}`);
                return;
              }
              const why = c.check(json, context.expect);
              if (why) {
                bad(why.slice(0, 300));
                return;
              }
              good++;
              if (verified.size < 2000) verified.set(key, true);
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        latencies.sort((a, b) => a - b);
        const badCount = [...problems.values()].reduce((a, b) => a + b, 0);
        const transport = (result.errors || 0) + (result.timeouts || 0);
        const responses = good + badCount;
        resolve({
          // Only verified responses count as throughput.
          rps: good / result.duration,
          responsesPerSecond: responses / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
          responses,
          good,
          bad: badCount + transport,
          transportErrors: transport,
          problems: Object.fromEntries(problems),
          duration: result.duration,
        });
      },
    );
    inst.on("response", (client, status, bytes, responseTime) => latencies.push(responseTime));
  });
}

function fmt(n, d = 1) {
  return Number.isFinite(n) ? n.toFixed(d) : "n/a";
}

async function load() {
  const { servers, cases, rounds, duration, warmup, connections } = config;
  const out = args.out || usage("--out is required");
  let failures = 0;
  const total = rounds * cases.length * servers.length;
  let done = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const [ci, caseName] of cases.entries()) {
      // Rotate the server order so no server always runs first / last.
      const shift = (round - 1 + ci) % servers.length;
      const order = [...servers.slice(shift), ...servers.slice(0, shift)];
      for (const server of order) {
        done++;
        if (warmup > 0) {
          const w = await cannon(server, caseName, { duration: warmup, connections });
          if (w.bad) {
            failures++;
            console.error(
              `load: WARM-UP ${server.name} case ${caseName}: ${w.bad} bad responses: ${JSON.stringify(w.problems).slice(0, 400)}`,
            );
          }
        }
        const r = await cannon(server, caseName, { duration, connections });
        const line = { round, case: caseName, server: server.name, connections, ...r };
        fs.appendFileSync(out, JSON.stringify(line) + "\n");
        console.error(
          `load [${done}/${total}] round ${round} case ${caseName} ${server.name.padEnd(6)} ` +
            `${fmt(r.rps, 0).padStart(6)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  ` +
            `responses ${r.responses}  bad ${r.bad}`,
        );
        if (r.bad) {
          failures++;
          console.error(`load: BAD RESPONSES from ${server.name} case ${caseName}: ${JSON.stringify(r.problems).slice(0, 600)}`);
        }
        if (r.responses === 0) {
          failures++;
          console.error(`load: NO RESPONSES from ${server.name} case ${caseName}`);
        }
        await sleep(500);
      }
    }
  }
  if (failures) fail(`${failures} load run(s) had bad or missing responses (see above)`);
}

// ------------------------------------------------------------------ search (case e)
async function search() {
  const s = config.search;
  const server = s.server;
  const fx = { ...config.fixtures, ...s.fixtures };
  const saved = config.fixtures;
  config.fixtures = fx;
  const c = makeCase("e", server, fx);
  const first = c.next(0);
  const r0 = await post(server, first.body, 120000);
  const why = r0.status !== 200 ? `HTTP ${r0.status}` : c.check(r0.json, first.expect);
  if (why) fail(`case e check failed: ${why}: ${r0.text.slice(0, 300)}`);
  console.error(`search: Roster found ${r0.json.data.customers.nodes.length} customers for "${fx.searchKeyword}" among ${s.rows}`);
  let failures = 0;
  for (let round = 1; round <= config.rounds; round++) {
    if (config.warmup > 0) await cannon(server, "e", { duration: config.warmup, connections: 1 });
    const r = await cannon(server, "e", { duration: config.duration, connections: 1 });
    const line = { round, case: "e", server: server.name, connections: 1, rows: s.rows, ...r };
    fs.appendFileSync(args.out, JSON.stringify(line) + "\n");
    console.error(
      `search round ${round}: ${fmt(r.rps, 1)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  responses ${r.responses}  bad ${r.bad}`,
    );
    if (r.bad || !r.responses) failures++;
  }
  config.fixtures = saved;
  if (failures) fail("case e had bad or missing responses");
}

// ------------------------------------------------------------------ count
const TX_CONTROL = /^(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|ABORT)\b/i;
// Roster's background workers (import jobs, mail outbox, invitation
// expiry) poll the database every ~2 s through the same pool; their
// statements are not part of any request.
const BACKGROUND = /\b(import_jobs|import_rows|import_file_chunks|outbox_messages|invitations)\b/;

function parseLog(text, db, prefixHasDb) {
  const dbToken = new RegExp(`(^|[\\s@\\[(,])${db.replace(/[^A-Za-z0-9_]/g, "\\$&")}([\\s\\]),:]|$)`);
  const counts = { statements: 0, txControl: 0, background: 0, samples: [] };
  for (const line of text.split("\n")) {
    const m = /^(.*?)\b(LOG|DEBUG\d?|INFO|NOTICE):\s+(statement|execute [^:]*):\s?(.*)$/.exec(line);
    if (!m) continue;
    if (prefixHasDb && !dbToken.test(m[1])) continue;
    const sql = m[4].trim();
    if (TX_CONTROL.test(sql)) counts.txControl++;
    else if (BACKGROUND.test(sql)) counts.background++;
    else {
      counts.statements++;
      if (counts.samples.length < 40) counts.samples.push(sql.slice(0, 160));
    }
  }
  return counts;
}

async function rosterMetric(server) {
  try {
    const u = new URL(server.url);
    const res = await fetch(`${u.protocol}//${u.host}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    const m = /^roster_db_statements_total\s+(\d+)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function count() {
  const server = config.servers.find((s) => s.name === args.server) || usage(`unknown server ${args.server}`);
  if (args.url) server.url = args.url;
  const { logFile, db, prefixHasDb, requests } = config.count;
  const out = args.out || usage("--out is required");
  for (const caseName of config.cases) {
    const c = makeCase(caseName, server, config.fixtures);
    // Warm up: plan caches, pool connections (which now log), first-use work.
    for (let i = 0; i < 3; i++) {
      const { body } = c.next(1000 + i);
      await post(server, body);
    }
    await sleep(300);
    const start = fs.statSync(logFile).size;
    const m0 = server.kind === "roster" ? await rosterMetric(server) : null;
    let badCount = 0;
    for (let i = 0; i < requests; i++) {
      const { body, expect } = c.next(i);
      const r = await post(server, body);
      const why = r.status !== 200 ? `HTTP ${r.status}` : c.check(r.json, expect);
      if (why) {
        badCount++;
        console.error(`count: ${server.name} case ${caseName}: ${why}`);
      }
    }
    const m1 = server.kind === "roster" ? await rosterMetric(server) : null;
    await sleep(800); // let PostgreSQL write the last lines
    const end = fs.statSync(logFile).size;
    const fd = fs.openSync(logFile, "r");
    const buf = Buffer.alloc(end - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    fs.closeSync(fd);
    const counts = parseLog(buf.toString("utf8"), db, prefixHasDb);
    const line = {
      server: server.name,
      case: caseName,
      requests,
      bad: badCount,
      perRequest: counts.statements / requests,
      txControlPerRequest: counts.txControl / requests,
      backgroundExcluded: counts.background,
      rosterMetricPerRequest: m0 !== null && m1 !== null ? (m1 - m0) / requests : null,
      samples: counts.samples.slice(0, 12),
    };
    fs.appendFileSync(out, JSON.stringify(line) + "\n");
    console.error(
      `count: ${server.name.padEnd(6)} case ${caseName}: ${fmt(line.perRequest, 2)} statements/request` +
        ` (+ ${fmt(line.txControlPerRequest, 2)} BEGIN/COMMIT)` +
        (line.rosterMetricPerRequest !== null ? `; Roster /metrics says ${fmt(line.rosterMetricPerRequest, 2)}` : "") +
        (counts.background ? `; ${counts.background} background statements excluded` : ""),
    );
    if (badCount) fail(`${badCount} bad responses while counting statements`);
  }
}

// ------------------------------------------------------------------ report
function readJsonl(file) {
  if (!file || !fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function report() {
  const results = readJsonl(args.results);
  const counts = readJsonl(args.counts);
  const servers = config.servers;
  const label = Object.fromEntries(servers.map((s) => [s.name, s.label]));
  if (config.search) label[config.search.server.name] = config.search.server.label;
  const caseList = [...config.cases, ...(config.search ? ["e"] : [])];
  const rows = [];
  for (const caseName of caseList) {
    const names = caseName === "e" ? [config.search.server.name] : servers.map((s) => s.name);
    const stats = names.map((name) => {
      const rs = results.filter((r) => r.case === caseName && r.server === name);
      const cnt = counts.find((c) => c.case === caseName && c.server === name);
      return {
        name,
        rounds: rs.length,
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        bad: rs.reduce((a, r) => a + r.bad, 0),
        stmts: cnt ? cnt.perRequest : NaN,
        tx: cnt ? cnt.txControlPerRequest : NaN,
      };
    });
    const pgs = stats.filter((s) => s.name.startsWith("pg") && Number.isFinite(s.rps));
    const best = pgs.length ? pgs.reduce((a, b) => (b.rps > a.rps ? b : a)) : null;
    for (const s of stats) {
      let ratio = "";
      if (s.name === "roster" && best && Number.isFinite(s.rps)) {
        ratio = `${(s.rps / best.rps).toFixed(2)}× vs ${best.name}`;
      }
      rows.push({ case: caseName, ...s, ratio });
    }
  }
  const head = ["case", "server", "req/s (median)", "p50 ms", "p99 ms", "SQL stmts/req", "+tx ctl/req", "bad", "Roster ÷ best PostGraphile"];
  const body = rows.map((r) => [
    r.case,
    label[r.name] || r.name,
    fmt(r.rps, r.case === "e" ? 1 : 0),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    fmt(r.stmts, 2),
    fmt(r.tx, 2),
    String(r.bad),
    r.ratio,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  const text = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
  console.log("\n" + text + "\n");
  const meta = config.meta || {};
  if (args.md) {
    const md = [];
    md.push(`# Roster vs PostGraphile — ${meta.date || new Date().toISOString()}`);
    md.push("");
    md.push("Produced by `bash bench/compare/run.sh` (see BENCHMARKS.md).");
    md.push("");
    md.push(`- Machine: ${meta.machine || "?"}`);
    md.push(`- PostgreSQL: ${meta.postgres || "?"}; Node ${process.version}; Roster: ${meta.roster || "?"}`);
    md.push(`- Data: ${meta.data || "?"}`);
    md.push(
      `- Load: autocannon, ${config.connections} connections, ${config.duration} s per run after a ${config.warmup} s warm-up, ` +
        `${config.rounds} interleaved rounds; req/s, p50 and p99 are medians over rounds. ` +
        `Statements: ${config.count ? `${config.count.requests} sequential requests per (server, case), counted in the PostgreSQL log` : "not counted"}.`,
    );
    if (config.search) md.push(`- Case e: ${config.search.rows} customers, keyword "${config.search.fixtures.searchKeyword}", 1 connection.`);
    md.push(`- Roster case c uses ${servers.find((s) => s.kind === "roster")?.features?.customerByEmail ? "`customerByEmail`" : "`customers(first: 1, keyword:)` (no `customerByEmail` in the schema)"}.`);
    md.push("");
    md.push("| " + head.join(" | ") + " |");
    md.push("|" + head.map((_, i) => (i >= 2 && i <= 7 ? "---:" : "---")).join("|") + "|");
    for (const b of body) md.push("| " + b.join(" | ") + " |");
    md.push("");
    const cross = counts.filter((c) => c.rosterMetricPerRequest !== null && c.rosterMetricPerRequest !== undefined);
    if (cross.length) {
      md.push(
        "Cross-check, Roster's own counter (`roster_db_statements_total` on /metrics, per request, " +
          "background polls included): " +
          cross.map((c) => `${c.case} ${fmt(c.rosterMetricPerRequest, 2)}`).join(", ") + ".",
      );
      md.push("");
    }
    md.push("Cases:");
    for (const c of caseList) md.push(`- ${CASE_TITLES[c]}`);
    md.push("");
    md.push("Servers:");
    for (const s of servers) md.push(`- \`${s.name}\`: ${s.label}${s.detail ? ` — ${s.detail}` : ""}`);
    md.push("");
    fs.writeFileSync(args.md, md.join("\n"));
    console.error(`report: wrote ${args.md}`);
  }
}

const commands = { login, check, load, count, search, report };
if (!commands[cmd]) usage(cmd ? `unknown command ${cmd}` : "no command");
try {
  await commands[cmd]();
} catch (e) {
  fail(e && e.stack ? e.stack : String(e));
}
