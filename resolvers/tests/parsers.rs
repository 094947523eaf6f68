//! The parsers that read client input, under generated input (proptest):
//! the CSV reader of imports, the pasted user-list parser and the global id
//! decoder never panic, and keep their promises on any input. Inputs are
//! bounded, so memory is too. `PROPTEST_CASES=100000 cargo test -p
//! roster-resolvers --test parsers --release` runs them longer.

use proptest::prelude::*;
use roster_resolvers::{
    imports::csv_file,
    kernel::ids::{GlobalId, NodeKind},
    staff::users::parse,
};

/// Text shaped like CSV: quotes, separators, line breaks, a BOM, the
/// columns Roster knows and any other characters.
fn csv_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("first_name".to_owned()),
        Just("email".to_owned()),
        Just("last_name".to_owned()),
        Just("Company".to_owned()),
        Just("email_aliases".to_owned()),
        Just(",".to_owned()),
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("ann@example.com".to_owned()),
        "[^\u{0}]{0,12}",
    ];
    proptest::collection::vec(pieces, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn the_csv_reader_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = csv_file::check(&bytes[..], &csv_file::CUSTOMERS);
        let _ = csv_file::check(&bytes[..], &csv_file::USERS);
    }

    #[test]
    fn the_csv_reader_takes_any_csv_like_text(text in csv_like()) {
        if let Ok((_, rows)) = csv_file::check(text.as_bytes(), &csv_file::CUSTOMERS) {
            prop_assert!(rows >= 1);
            prop_assert!(rows as usize <= text.lines().count());
        }
    }

    #[test]
    fn the_user_list_parser_takes_any_text(text in "\\PC{0,600}") {
        let parsed = parse::parse(&text);
        let entries = text.split([';', '\n', '\r']).filter(|e| !e.trim().is_empty()).count();
        prop_assert!(parsed.rows.len() <= entries);
        prop_assert!(parsed.unparsed.len() <= text.len() + entries);
    }

    #[test]
    fn the_user_list_parser_takes_lists_of_names(
        entries in proptest::collection::vec("[A-Za-zÀ-ÿ' .@_-]{0,40}", 0..60)
    ) {
        let text = entries.join(";");
        let parsed = parse::parse(&text);
        for row in &parsed.rows {
            prop_assert!(row.entry >= 0 && (row.entry as usize) < entries.len().max(1));
        }
    }

    #[test]
    fn the_id_decoder_takes_any_text(text in "\\PC{0,80}") {
        if let Ok(gid) = GlobalId::decode(&text) {
            // Whatever it accepts names one object and encodes back to it.
            prop_assert_eq!(GlobalId::decode(&gid.encode()).unwrap(), gid);
        }
    }

    #[test]
    fn ids_round_trip(bytes in any::<[u8; 16]>(), kind in 0usize..NodeKind::ALL.len()) {
        let kind = NodeKind::ALL[kind];
        let id = uuid::Uuid::from_bytes(bytes);
        let encoded = GlobalId::decode(&GlobalId::customer(id).encode()).unwrap();
        prop_assert_eq!(encoded.id, id);
        prop_assert_eq!(GlobalId::expect(&GlobalId::customer(id).encode(), kind).is_ok(), kind == NodeKind::Customer);
    }
}
