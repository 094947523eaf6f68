//! Customer CSV export (seed 000 "Export a list of customers"): the same
//! header as the import, streamed in keyset-paged chunks so memory stays
//! flat and the database is never held for the whole download.
//! Cells a spreadsheet would run as a formula are prefixed with `'`.

mod link;

pub use link::{resolve_link, CustomerExportLink, ExportQuery};

use std::{borrow::Cow, collections::HashMap};

use futures_util::Stream;
use roster_entities::{company, customer, customer_email};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::directory::customers::CustomerFilter;
use crate::kernel::scope::Tenant;

/// Columns of the customer CSV, in the order of seed 000.
pub const HEADER: [&str; 13] = [
    "first_name",
    "last_name",
    "email",
    "email_aliases",
    "Company",
    "office_phone",
    "mobile_phone",
    "other_phone",
    "fax",
    "address",
    "job_title",
    "department",
    "notes",
];

/// Rows read per chunk (and company ids per IN list: within every
/// database's limit).
const CHUNK: u64 = 5_000;

/// Excel and LibreOffice open UTF-8 CSV correctly only with a BOM.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The downloadable sample file: the header and two example rows.
pub const SAMPLE: &str = "\u{feff}first_name,last_name,email,email_aliases,Company,office_phone,mobile_phone,other_phone,fax,address,job_title,department,notes\r\n\
John,Smith,john@company.com,\"j.smith@company.com,johnny@company.com\",Company Inc,+1 415 555 2671,+49 30 901820,,,\"1 Main Street, Springfield\",IT Manager,IT,\"This guy is a cool dude, and he's also pretty helpful.\"\r\n\
Maria,García,maria@example.org,,,,,,,,,,\r\n";

/// Makes a cell safe to open in a spreadsheet: a leading = + - @ tab or CR
/// would start a formula, so such cells get a leading `'`. (Import strips it
/// again, so an export re-imports unchanged.)
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn io(err: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(err.to_string())
}

/// The columns an export reads.
const EXPORTED: [customer::Column; 13] = [
    customer::Column::Id,
    customer::Column::FirstName,
    customer::Column::LastName,
    customer::Column::Email,
    customer::Column::CompanyId,
    customer::Column::OfficePhone,
    customer::Column::MobilePhone,
    customer::Column::OtherPhone,
    customer::Column::Fax,
    customer::Column::Address,
    customer::Column::JobTitle,
    customer::Column::Department,
    customer::Column::Notes,
];

#[derive(sea_orm::FromQueryResult)]
struct ExportRow {
    id: Uuid,
    first_name: String,
    last_name: String,
    email: String,
    company_id: Option<Uuid>,
    office_phone: Option<String>,
    mobile_phone: Option<String>,
    other_phone: Option<String>,
    fax: Option<String>,
    address: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    notes: Option<String>,
}

struct State {
    after: Option<Uuid>,
    header_sent: bool,
    done: bool,
}

/// The account's customers matching `keyword`, as CSV chunks.
pub fn customers_csv(
    db: DatabaseConnection,
    account_id: Uuid,
    keyword: Option<String>,
) -> impl Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let filter = CustomerFilter {
        keyword,
        ..Default::default()
    };
    let start = State {
        after: None,
        header_sent: false,
        done: false,
    };
    futures_util::stream::try_unfold(start, move |state| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            if state.done {
                return Ok(None);
            }
            let mut out = Vec::new();
            if !state.header_sent {
                out.extend_from_slice(BOM);
            }
            let mut writer = csv::Writer::from_writer(&mut out);
            if !state.header_sent {
                writer.write_record(HEADER).map_err(io)?;
            }
            let mut select = filter.select(db.get_database_backend(), account_id);
            if let Some(after) = state.after {
                select = select.filter(customer::Column::Id.gt(after));
            }
            let rows: Vec<ExportRow> = select
                .select_only()
                .columns(EXPORTED)
                .order_by_asc(customer::Column::Id)
                .limit(CHUNK)
                .into_model()
                .all(&db)
                .await
                .map_err(io)?;
            // The chunk's aliases by the range of its ids (ordered), not a
            // list of 5,000 ids that the database would parse and plan each
            // time. Only the customer index serves a range (an account
            // condition would make SQLite scan the account's addresses);
            // aliases of customers outside the chunk's rows, the account's
            // or not, are never looked up below.
            let (first, last) = match (rows.first(), rows.last()) {
                (Some(first), Some(last)) => (first.id, last.id),
                _ => (Uuid::nil(), Uuid::nil()),
            };
            // all accounts: a customer id range (see above); only the chunk's aliases are used.
            let aliases: Vec<(Uuid, String)> = customer_email::Entity::find()
                .select_only()
                .columns([
                    customer_email::Column::CustomerId,
                    customer_email::Column::Email,
                ])
                .filter(customer_email::Column::CustomerId.between(first, last))
                .filter(customer_email::Column::IsPrimary.eq(false))
                .order_by_asc(customer_email::Column::Position)
                .into_tuple()
                .all(&db)
                .await
                .map_err(io)?;
            let mut company_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.company_id).collect();
            company_ids.sort_unstable();
            company_ids.dedup();
            let companies: HashMap<Uuid, String> = Tenant(account_id)
                .find::<company::Entity>()
                .filter(company::Column::Id.is_in(company_ids))
                .all(&db)
                .await
                .map_err(io)?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            let mut aliases_of: HashMap<Uuid, Vec<String>> = HashMap::new();
            for (customer_id, email) in aliases {
                aliases_of.entry(customer_id).or_default().push(email);
            }
            for row in &rows {
                let alias_list = aliases_of
                    .get(&row.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let company = row
                    .company_id
                    .and_then(|id| companies.get(&id))
                    .map(String::as_str)
                    .unwrap_or_default();
                let alias_cell = alias_list.join(",");
                let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                let cells = [
                    row.first_name.clone(),
                    row.last_name.clone(),
                    row.email.clone(),
                    alias_cell,
                    company.to_owned(),
                    opt(&row.office_phone),
                    opt(&row.mobile_phone),
                    opt(&row.other_phone),
                    opt(&row.fax),
                    opt(&row.address),
                    opt(&row.job_title),
                    opt(&row.department),
                    opt(&row.notes),
                ];
                writer
                    .write_record(cells.iter().map(|c| neutralise(c).into_owned()))
                    .map_err(io)?;
            }
            writer.flush().map_err(io)?;
            drop(writer);
            let next = State {
                after: rows.last().map(|c| c.id).or(state.after),
                header_sent: true,
                done: (rows.len() as u64) < CHUNK,
            };
            Ok(Some((out, next)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+1", "+49 30 1234", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "Ann", "a=b", "'quoted", "1+1"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn the_sample_has_the_header_and_parses() {
        let body = SAMPLE.trim_start_matches('\u{feff}');
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][3], "j.smith@company.com,johnny@company.com");
        assert!(rows[0][12].contains(", and he's"));
    }
}
