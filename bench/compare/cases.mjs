// The benchmark cases: one GraphQL operation per server kind (roster, pg4,
// pg5) asking for the same data, a normaliser that turns each response into
// a common shape (to check that every server returns the same rows), and a
// per-response check used under load.
//
// Kinds:
//   roster  Roster (Bearer token, global ids)
//   pg4     PostGraphile 4.14.1, default inflection (`id` is the UUID column,
//           `nodeId` the global id)
//   pg5     PostGraphile 5.1.5, amber preset (`rowId` is the UUID column,
//           `id` the global id)

/** base64url("<Kind>:<uuid>") without padding: Roster's global ids. */
export function rosterId(kind, uuid) {
  return Buffer.from(`${kind}:${uuid}`, "utf8").toString("base64url");
}

const sortedAccess = (list) =>
  list.map((g) => `${g.service}=${g.access}`).sort();

// ---------------------------------------------------------------- case a
// First 50 customers, oldest first, with company (name + its services) and
// the customer's service access.

const A_ROSTER = `query CaseA {
  customers(first: 50, sortKey: CREATED_AT) {
    nodes {
      email firstName lastName jobTitle
      company { name services { name } }
      serviceAccess { access service { name } }
    }
  }
}`;

const aPg = (idOrder) => `query CaseA($account: UUID!) {
  allCustomers(first: 50, orderBy: [CREATED_AT_ASC, ${idOrder}], condition: { accountId: $account }) {
    nodes {
      email firstName lastName jobTitle
      companyByCompanyId {
        name
        companyServicesByCompanyId { nodes { serviceByServiceId { name } } }
      }
      customerServicesByCustomerId { nodes { access serviceByServiceId { name } } }
    }
  }
}`;

function normPgCustomer(c) {
  const out = {
    email: c.email,
    firstName: c.firstName,
    lastName: c.lastName,
    access: sortedAccess(
      c.customerServicesByCustomerId.nodes.map((n) => ({
        service: n.serviceByServiceId.name,
        access: n.access,
      })),
    ),
  };
  if ("jobTitle" in c) out.jobTitle = c.jobTitle;
  if ("companyByCompanyId" in c) {
    const co = c.companyByCompanyId;
    out.company = co
      ? {
          name: co.name,
          ...(co.companyServicesByCompanyId
            ? {
                services: co.companyServicesByCompanyId.nodes
                  .map((n) => n.serviceByServiceId.name)
                  .sort(),
              }
            : {}),
        }
      : null;
  }
  return out;
}

function normRosterCustomer(c) {
  const out = {
    email: c.email,
    firstName: c.firstName,
    lastName: c.lastName,
    access: sortedAccess(
      c.serviceAccess.map((g) => ({ service: g.service.name, access: g.access })),
    ),
  };
  if ("jobTitle" in c) out.jobTitle = c.jobTitle;
  if ("company" in c) {
    const co = c.company;
    out.company = co
      ? {
          name: co.name,
          ...(co.services ? { services: co.services.map((s) => s.name).sort() } : {}),
        }
      : null;
  }
  return out;
}

// ---------------------------------------------------------------- case b
// One company and its first 100 employees by name (Roster orders a
// company's employees by sort_name, then id), each with service access.

const B_ROSTER = `query CaseB($company: ID!) {
  company(id: $company) {
    name
    employees(first: 100) {
      nodes { email firstName lastName serviceAccess { access service { name } } }
    }
  }
}`;

const bPg = (lookup, idOrder) => `query CaseB($company: UUID!) {
  company: ${lookup}(${lookup === "companyById" ? "id" : "rowId"}: $company) {
    name
    customersByCompanyId(first: 100, orderBy: [SORT_NAME_ASC, ${idOrder}]) {
      nodes {
        email firstName lastName
        customerServicesByCustomerId { nodes { access serviceByServiceId { name } } }
      }
    }
  }
}`;

// ---------------------------------------------------------------- case c
// One customer by email (primary or alias, case-insensitive).

const C_FIELDS_ROSTER = `email firstName lastName jobTitle company { name } serviceAccess { access service { name } }`;
const C_ROSTER_BY_EMAIL = `query CaseC($email: String!) {
  customer: customerByEmail(email: $email) { ${C_FIELDS_ROSTER} }
}`;
const C_ROSTER_KEYWORD = `query CaseC($email: String!) {
  customers(first: 1, keyword: $email) { nodes { ${C_FIELDS_ROSTER} } }
}`;
// customer_emails holds every address (primary and aliases) by its
// lower-cased key; its primary key (account_id, email_key) gives
// PostGraphile a unique lookup. The client lower-cases the address.
const C_PG = `query CaseC($account: UUID!, $emailKey: String!) {
  address: customerEmailByAccountIdAndEmailKey(accountId: $account, emailKey: $emailKey) {
    customer: customerByCustomerId {
      email firstName lastName jobTitle
      companyByCompanyId { name }
      customerServicesByCustomerId { nodes { access serviceByServiceId { name } } }
    }
  }
}`;

// ---------------------------------------------------------------- case d
// Change one customer's job title.

const D_ROSTER = `mutation CaseD($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    customer { jobTitle }
    userErrors { field code message }
  }
}`;
const D_PG4 = `mutation CaseD($id: UUID!, $patch: CustomerPatch!) {
  updateCustomerById(input: { id: $id, customerPatch: $patch }) {
    customer { jobTitle }
  }
}`;
const D_PG5 = `mutation CaseD($id: UUID!, $patch: CustomerPatch!) {
  updateCustomerByRowId(input: { rowId: $id, customerPatch: $patch }) {
    customer { jobTitle }
  }
}`;

// ---------------------------------------------------------------- case e
// Keyword search (Roster only, separate database).

const E_ROSTER = `query CaseE($keyword: String!) {
  customers(first: 20, keyword: $keyword) { nodes { email firstName lastName } }
}`;

export const TITLES = ["Benchmark Title A", "Benchmark Title B"];

/**
 * Builds the request generator and checker of `caseName` for a server.
 * `fx` are the fixtures (see run.sh), `server` = { kind, features }.
 * Returns { next(i) -> { body, expect }, normalise(json, expect) -> value,
 *           check(json, expect) -> null | "problem" }.
 */
export function makeCase(caseName, server, fx) {
  const kind = server.kind;
  const idOrder = kind === "pg5" ? "ROW_ID_ASC" : "ID_ASC";
  const body = (query, variables) => JSON.stringify({ query, variables });
  const data = (json) => {
    if (!json || typeof json !== "object") return [null, "not a JSON object"];
    if (json.errors && json.errors.length) {
      return [null, "errors: " + JSON.stringify(json.errors).slice(0, 300)];
    }
    if (!json.data) return [null, "no data"];
    return [json.data, null];
  };

  switch (caseName) {
    case "a": {
      const query = kind === "roster" ? A_ROSTER : aPg(idOrder);
      const variables = kind === "roster" ? {} : { account: fx.accountId };
      const fixed = body(query, variables);
      const normalise = (json) => {
        const [d, err] = data(json);
        if (err) throw new Error(err);
        const nodes = kind === "roster" ? d.customers?.nodes : d.allCustomers?.nodes;
        if (!Array.isArray(nodes)) throw new Error("no customer list");
        return nodes.map(kind === "roster" ? normRosterCustomer : normPgCustomer);
      };
      return {
        next: () => ({ body: fixed, expect: null }),
        normalise,
        check: (json) => {
          const [d, err] = data(json);
          if (err) return err;
          const nodes = kind === "roster" ? d.customers?.nodes : d.allCustomers?.nodes;
          if (!Array.isArray(nodes) || nodes.length !== 50) return "expected 50 customers";
          return null;
        },
      };
    }
    case "b": {
      let query;
      let variables;
      if (kind === "roster") {
        query = B_ROSTER;
        variables = { company: rosterId("Company", fx.companyId) };
      } else {
        query = bPg(kind === "pg4" ? "companyById" : "companyByRowId", idOrder);
        variables = { company: fx.companyId };
      }
      const fixed = body(query, variables);
      const list = (d) =>
        kind === "roster" ? d.company?.employees?.nodes : d.company?.customersByCompanyId?.nodes;
      return {
        next: () => ({ body: fixed, expect: null }),
        normalise: (json) => {
          const [d, err] = data(json);
          if (err) throw new Error(err);
          const nodes = list(d);
          if (!Array.isArray(nodes)) throw new Error("no employee list");
          return {
            name: d.company.name,
            employees: nodes.map(kind === "roster" ? normRosterCustomer : normPgCustomer),
          };
        },
        check: (json) => {
          const [d, err] = data(json);
          if (err) return err;
          const nodes = list(d);
          if (!Array.isArray(nodes) || nodes.length !== 100) return "expected 100 employees";
          return null;
        },
      };
    }
    case "c": {
      const emails = fx.lookupEmails;
      let make;
      let pick;
      if (kind === "roster") {
        const byEmail = server.features?.customerByEmail;
        const query = byEmail ? C_ROSTER_BY_EMAIL : C_ROSTER_KEYWORD;
        make = (email) => body(query, { email });
        pick = (d) => (byEmail ? d.customer : d.customers?.nodes?.[0]);
      } else {
        make = (email) =>
          body(C_PG, { account: fx.accountId, emailKey: email.toLowerCase() });
        pick = (d) => d.address?.customer;
      }
      const bodies = emails.map(make);
      const norm = (c) => {
        if (!c) return null;
        if (kind === "roster") {
          return { ...normRosterCustomer(c), company: c.company ? c.company.name : null };
        }
        const n = normPgCustomer(c);
        return { ...n, company: n.company ? n.company.name : null };
      };
      return {
        next: (i) => ({ body: bodies[i % bodies.length], expect: emails[i % emails.length] }),
        normalise: (json) => {
          const [d, err] = data(json);
          if (err) throw new Error(err);
          return norm(pick(d));
        },
        check: (json, expect) => {
          const [d, err] = data(json);
          if (err) return err;
          const c = pick(d);
          if (!c) return "customer not found";
          if (c.email.toLowerCase() !== String(expect).toLowerCase()) {
            return `expected ${expect}, got ${c.email}`;
          }
          return null;
        },
      };
    }
    case "d": {
      const ids = fx.updateIds;
      const make = (i) => {
        const id = ids[i % ids.length];
        const title = TITLES[Math.floor(i / ids.length) % 2];
        if (kind === "roster") {
          return {
            body: body(D_ROSTER, { input: { id: rosterId("Customer", id), jobTitle: title } }),
            expect: title,
          };
        }
        // Roster also sets updated_at on every change; so does this patch.
        return {
          body: body(kind === "pg4" ? D_PG4 : D_PG5, {
            id,
            patch: { jobTitle: title, updatedAt: new Date().toISOString() },
          }),
          expect: title,
        };
      };
      const pick = (d) =>
        kind === "roster"
          ? d.updateCustomer
          : kind === "pg4"
            ? d.updateCustomerById
            : d.updateCustomerByRowId;
      return {
        next: make,
        normalise: (json, expect) => {
          const [d, err] = data(json);
          if (err) throw new Error(err);
          const p = pick(d);
          return { jobTitle: p?.customer?.jobTitle, ok: p?.customer?.jobTitle === expect };
        },
        check: (json, expect) => {
          const [d, err] = data(json);
          if (err) return err;
          const p = pick(d);
          if (!p) return "no payload";
          if (p.userErrors && p.userErrors.length) {
            return "userErrors: " + JSON.stringify(p.userErrors);
          }
          if (p.customer?.jobTitle !== expect) return `jobTitle is not ${expect}`;
          return null;
        },
      };
    }
    case "e": {
      if (kind !== "roster") throw new Error("case e is Roster only");
      const fixed = body(E_ROSTER, { keyword: fx.searchKeyword });
      const list = (d) => d.customers?.nodes;
      return {
        next: () => ({ body: fixed, expect: fx.searchExpected }),
        normalise: (json) => {
          const [d, err] = data(json);
          if (err) throw new Error(err);
          return list(d).map((c) => c.email);
        },
        check: (json, expect) => {
          const [d, err] = data(json);
          if (err) return err;
          const nodes = list(d);
          if (!Array.isArray(nodes)) return "no customer list";
          if (nodes.length !== expect) return `expected ${expect} matches, got ${nodes.length}`;
          if (nodes.some((c) => !c.email.toLowerCase().includes(fx.searchKeyword.toLowerCase()))) {
            return "a match does not contain the keyword";
          }
          return null;
        },
      };
    }
    default:
      throw new Error(`unknown case ${caseName}`);
  }
}

export const CASE_TITLES = {
  a: "a. 50 oldest customers + company, its services, service access",
  b: "b. one company, first 100 employees + service access",
  c: "c. one customer by email",
  d: "d. update a customer's job title",
  e: "e. keyword search (1 connection)",
};
