-- Deterministic benchmark data for one Roster account, set-based.
--
-- psql variables (all required):
--   account    uuid of the account (created by `roster bootstrap`)
--   customers  number of customers (100000 for the main data set)
--
-- Fixed shape: 200 companies, 20 services, 5 services per company
-- (1,000 company_services rows), every 23rd customer without a company
-- (floor(customers / 23): 4,347 of 100,000), one primary address per customer
-- in customer_emails, 2 services per customer (customer_services; a
-- company's employee only gets services of their company).
--
-- Values follow Roster's invariants (see entities/src and
-- resolvers/src/customers/validate.rs): email_key = lower(email),
-- sort_name = lower("last first"), name_key = lower(name), enum strings as
-- stored by sea-orm ('HTML', 'NO_ACCESS', 'PORTAL_ACCESS', ...), phone
-- numbers and emails that pass Roster's validation (updateCustomer
-- re-validates every stored value), created_at strictly increasing and ids
-- shaped like UUID v7 (48-bit millisecond timestamp of created_at first),
-- so ids sort in creation order as those of Uuid::now_v7() do.
--
-- Every value derives from md5 of a row number: the same rows every run.
-- Customers whose number is 777 modulo 100,000 are named "Quixotry" (1 per
-- 100,000): the rare keyword of the search case.

\set ON_ERROR_STOP on

BEGIN;

SET LOCAL maintenance_work_mem = '256MB';

-- Secondary indexes (those not behind a primary key or unique constraint)
-- of the loaded tables are dropped for the load and rebuilt from their own
-- definitions afterwards, whatever the migrations created (B-tree, GIN
-- trigram, ...): the schema ends up exactly as `roster migrate` left it,
-- and unique indexes re-check the generated data when they are rebuilt.
CREATE TEMP TABLE saved_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
WHERE t.relnamespace = 'public'::regnamespace
  AND t.relname IN ('companies', 'services', 'company_services', 'customers',
                    'customer_emails', 'customer_services')
  AND c.oid IS NULL;

SELECT format('DROP INDEX %s', name) FROM saved_indexes \gexec

CREATE FUNCTION pg_temp.h(seed text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  -- 28 deterministic bits of md5(seed), as a non-negative integer
  SELECT ('x' || lpad(substr(md5(seed), 1, 7), 8, '0'))::bit(32)::integer
$$;

CREATE FUNCTION pg_temp.uuid7(ts timestamptz, seed text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
  -- UUID v7 layout: unix_ts_ms (48 bits) | ver 7 | 12 bits | variant 10 | 62 bits
  SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0')
          || '7' || substr(md5(seed), 1, 3)
          || '8' || substr(md5(seed), 4, 15))::uuid
$$;

-- Word lists (fixed order: indices are part of the data definition).
CREATE TEMP TABLE first_names AS
SELECT ord - 1 AS n, name FROM unnest(ARRAY[
  'Anna','Ben','Clara','David','Emma','Felix','Greta','Hugo','Ida','Jonas',
  'Karla','Leon','Mia','Noah','Olga','Paul','Quinn','Rosa','Samuel','Tara',
  'Uwe','Vera','Walter','Xenia','Yusuf','Zoe','Amir','Bianca','Carlos','Dana',
  'Elif','Farid','Giulia','Hannes','Ines','Jamal','Keiko','Lars','Maren','Nils'
]) WITH ORDINALITY AS t(name, ord);

CREATE TEMP TABLE last_names AS
SELECT ord - 1 AS n, name FROM unnest(ARRAY[
  'Smith','Miller','Schmidt','Garcia','Rossi','Dubois','Novak','Kowalski','Jensen','Silva',
  'Weber','Fischer','Meyer','Wagner','Becker','Hoffmann','Schulz','Koch','Richter','Klein',
  'Wolf','Neumann','Schwarz','Braun','Zimmermann','Hartmann','Lange','Krause','Lehmann','Werner',
  'Martin','Bernard','Moreau','Laurent','Lefebvre','Bianchi','Romano','Colombo','Ricci','Marino',
  'Lopez','Martinez','Sanchez','Perez','Gomez','Costa','Santos','Ferreira','Pereira','Almeida',
  'Andersen','Nielsen','Larsen','Olsen','Berg','Lind','Holm','Nowak','Wojcik','Horvat'
]) WITH ORDINALITY AS t(name, ord);

CREATE TEMP TABLE job_titles AS
SELECT ord - 1 AS n, name FROM unnest(ARRAY[
  'Engineer','Accountant','Office Manager','Sales Representative','Designer',
  'Support Agent','Team Lead','Consultant','Analyst','Project Manager'
]) WITH ORDINALITY AS t(name, ord);

CREATE TEMP TABLE departments AS
SELECT ord - 1 AS n, name FROM unnest(ARRAY[
  'Finance','IT','Sales','Marketing','Operations','Legal','Support','HR'
]) WITH ORDINALITY AS t(name, ord);

-- Services: 20, created one second apart before everything else.
CREATE TEMP TABLE svc AS
SELECT s - 1 AS n,
       pg_temp.uuid7(timestamptz '2024-01-01 00:00:00+00' - interval '2 days' + s * interval '1 second', 'service' || s) AS id,
       (ARRAY['Email','VPN','Payroll','CRM','Helpdesk','Printing','Wiki','Backup','Telephony','Calendar',
              'Storage','Billing','Analytics','Intranet','Chat','Video','Laptops','Badges','Travel','Parking'])[s]
         || ' Service' AS name,
       timestamptz '2024-01-01 00:00:00+00' - interval '2 days' + s * interval '1 second' AS created_at
FROM generate_series(1, 20) AS s;

INSERT INTO services (id, account_id, name, name_key, description, created_at, updated_at)
SELECT id, :'account', name, lower(name), 'Benchmark service ' || (n + 1), created_at, created_at
FROM svc ORDER BY n;

-- Companies: 200, created one second apart after the services.
CREATE TEMP TABLE comp AS
SELECT c - 1 AS n,
       pg_temp.uuid7(timestamptz '2024-01-01 00:00:00+00' - interval '1 day' + c * interval '1 second', 'company' || c) AS id,
       (ARRAY['Blue','Green','Red','Silver','Golden','Northern','Southern','Eastern','Western','Bright'])[1 + (c - 1) % 10]
         || ' ' ||
       (ARRAY['Harbor','Peak','River','Forest','Valley','Bridge','Stone','Field','Lake','Ridge',
              'Meadow','Garden','Tower','Cloud','Coast','Summit','Grove','Canyon','Island','Harvest'])[1 + ((c - 1) / 10) % 20]
         || ' ' ||
       (ARRAY['Systems','Logistics','Partners','Labs','Foods','Media','Energy','Health'])[1 + pg_temp.h('company-kind' || c) % 8]
         || ' ' || lpad(c::text, 3, '0') AS name,
       timestamptz '2024-01-01 00:00:00+00' - interval '1 day' + c * interval '1 second' AS created_at
FROM generate_series(1, 200) AS c;

INSERT INTO companies (id, account_id, name, name_key, created_at, updated_at)
SELECT id, :'account', name, lower(name), created_at, created_at
FROM comp ORDER BY n;

-- 5 services per company: (7c + 3k) mod 20 for k = 0..4 (distinct).
CREATE TEMP TABLE comp_svc AS
SELECT comp.n AS company_n, k, (comp.n * 7 + k * 3) % 20 AS service_n
FROM comp CROSS JOIN generate_series(0, 4) AS k;

INSERT INTO company_services (account_id, company_id, service_id)
SELECT :'account', comp.id, svc.id
FROM comp_svc
JOIN comp ON comp.n = comp_svc.company_n
JOIN svc ON svc.n = comp_svc.service_n
ORDER BY comp_svc.company_n, comp_svc.k;

-- Customers, created one second apart from 2024-01-01.
CREATE TEMP TABLE cust AS
SELECT i,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS created_at,
       CASE WHEN i % 23 = 0 THEN NULL ELSE pg_temp.h('company' || i) % 200 END AS company_n,
       pg_temp.h('first' || i) % 40 AS first_n,
       pg_temp.h('last' || i) % 60 AS last_n,
       pg_temp.h('misc' || i) AS misc,
       pg_temp.h('grant' || i) AS g
FROM generate_series(1, :customers) AS i;

CREATE TEMP TABLE cust_rows AS
SELECT cust.i,
       pg_temp.uuid7(cust.created_at, 'customer' || cust.i) AS id,
       cust.company_n,
       cust.created_at,
       cust.misc,
       cust.g,
       f.name AS first_name,
       CASE WHEN cust.i % 100000 = 777 THEN 'Quixotry' ELSE l.name END AS last_name
FROM cust
JOIN first_names f ON f.n = cust.first_n
JOIN last_names l ON l.n = cust.last_n;

INSERT INTO customers (
  id, account_id, first_name, last_name, sort_name, email, email_key, company_id,
  office_phone, mobile_phone, other_phone, fax, address, job_title, department, notes,
  email_format, feedback_emails, time_zone, locale, portal_access, avatar_token,
  created_at, updated_at)
SELECT r.id, :'account', r.first_name, r.last_name,
       lower(r.last_name || ' ' || r.first_name),
       r.first_name || '.' || r.last_name || r.i || '@example.com',
       lower(r.first_name || '.' || r.last_name || r.i || '@example.com'),
       comp.id,
       CASE WHEN r.misc % 2 = 0 THEN '555-' || lpad((r.i % 10000)::text, 4, '0') END,
       NULL, NULL, NULL,
       CASE WHEN r.misc % 3 = 0 THEN (1 + r.i % 200) || ' Main Street' END,
       jt.name,
       d.name,
       NULL,
       CASE WHEN r.misc % 5 = 0 THEN 'PLAIN_TEXT' ELSE 'HTML' END,
       r.misc % 4 <> 0,
       (ARRAY['Europe/Berlin','Europe/London','America/New_York','Asia/Tokyo', NULL])[1 + r.misc % 5],
       (ARRAY['de','en','es','pt','fr','it'])[1 + (r.misc / 7) % 6],
       CASE
         WHEN r.misc % 10 < 7 THEN 'NO_ACCESS'
         WHEN r.misc % 10 < 9 OR r.company_n IS NULL THEN 'STANDARD'
         ELSE 'COMPANY'
       END,
       NULL,
       r.created_at, r.created_at
FROM cust_rows r
LEFT JOIN comp ON comp.n = r.company_n
JOIN job_titles jt ON jt.n = (r.misc / 11) % 10
JOIN departments d ON d.n = (r.misc / 13) % 8
ORDER BY r.i;

-- The primary address of every customer.
INSERT INTO customer_emails (account_id, email_key, customer_id, email, is_primary, position)
SELECT account_id, email_key, id, email, true, 0
FROM customers
WHERE account_id = :'account'
ORDER BY created_at;

-- Two services per customer: two distinct services of the company, or any
-- two distinct services without a company.
INSERT INTO customer_services (account_id, customer_id, service_id, access)
SELECT :'account', r.id, svc.id,
       CASE WHEN (r.g / 50 + pick.k) % 4 = 0 THEN 'NO_PORTAL_ACCESS' ELSE 'PORTAL_ACCESS' END
FROM cust_rows r
CROSS JOIN LATERAL (VALUES
  (0, CASE WHEN r.company_n IS NULL THEN r.g % 20 ELSE r.g % 5 END),
  (1, CASE WHEN r.company_n IS NULL
           THEN (r.g % 20 + 1 + (r.g / 20) % 19) % 20
           ELSE (r.g % 5 + 1 + (r.g / 5) % 4) % 5 END)
) AS pick(k, slot)
LEFT JOIN comp_svc cs ON r.company_n IS NOT NULL AND cs.company_n = r.company_n AND cs.k = pick.slot
JOIN svc ON svc.n = COALESCE(cs.service_n, pick.slot)
ORDER BY r.i, pick.k;

SELECT def FROM saved_indexes ORDER BY name \gexec

COMMIT;

ANALYZE companies;
ANALYZE services;
ANALYZE company_services;
ANALYZE customers;
ANALYZE customer_emails;
ANALYZE customer_services;
