//! Query limits. They also apply to the introspection query GraphiQL sends
//! (async-graphql #209, #1696), whose `ofType` chain nests about 15 deep; an
//! end-to-end test runs that query to keep these values honest.

/// Deepest selection nesting accepted.
pub const MAX_DEPTH: usize = 20;
/// Deepest nesting of the parsed document (guards the parser's recursion).
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 8;
