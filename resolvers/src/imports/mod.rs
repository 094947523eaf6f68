//! CSV import of customers: reading files, validating rows with the same
//! rules as the customer mutations, and writing them in batches.

pub mod csv_file;
