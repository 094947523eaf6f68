//! Setting up an account from the command line: `bootstrap` (a new account
//! and its first super admin) and `demo` (sample data through the features'
//! own write paths). It sits above every feature it fills.

pub mod bootstrap;
pub mod demo;
