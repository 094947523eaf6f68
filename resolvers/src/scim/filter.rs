//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): parsed into a
//! tree that `sql.rs` turns into a WHERE clause and that `matches` evaluates
//! against one JSON value (the elements a PATCH path selects).

use serde_json::Value;

use super::error::{ScimError, ScimResult};

/// `[urn:]attr[.sub]`, names as written (compared case-insensitively).
#[derive(Clone, Debug, PartialEq)]
pub struct AttrPath {
    /// The schema URN, when the path names one.
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// `attr` or `attr.sub`, lower-cased, without the URN.
    pub fn key(&self) -> String {
        match &self.sub {
            Some(s) => format!("{}.{}", self.attr, s).to_lowercase(),
            None => self.attr.to_lowercase(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, Op, Literal),
    /// `attr[filter]`: some element of the multi-valued `attr` matches the
    /// inner filter, whose paths name `attr`'s sub-attributes.
    Any(AttrPath, Box<Filter>),
}

/// A PATCH operation's `path`: an attribute, or the elements of a
/// multi-valued one that a filter selects, with an optional sub-attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after `[...]`: `emails[type eq "work"].value`.
    pub sub: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    BracketOpen,
    BracketClose,
    Dot,
}

fn lex(input: &str, error: fn(String) -> ScimError) -> ScimResult<Vec<Token>> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1
            }
            '[' => {
                tokens.push(Token::BracketOpen);
                i += 1
            }
            ']' => {
                tokens.push(Token::BracketClose);
                i += 1
            }
            '.' if matches!(tokens.last(), Some(Token::BracketClose)) => {
                tokens.push(Token::Dot);
                i += 1
            }
            '"' => {
                // A JSON string: let serde_json handle the escapes.
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(error("a string is not closed".into()));
                }
                i += 1;
                let raw: String = chars[start..i].iter().collect();
                let s: String =
                    serde_json::from_str(&raw).map_err(|_| error(format!("bad string {raw}")))?;
                tokens.push(Token::Str(s));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '-' | '+' | '.' | 'e' | 'E'))
                {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().collect();
                let n: f64 = raw
                    .parse()
                    .map_err(|_| error(format!("bad number {raw}")))?;
                tokens.push(Token::Num(n));
            }
            c if c.is_alphabetic() || c == '$' || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '$' | '_' | '-' | ':' | '.'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(error(format!("unexpected character {other:?}"))),
        }
    }
    Ok(tokens)
}

/// Splits `urn:...:attr.sub` or `attr.sub`.
pub fn attr_path(word: &str) -> ScimResult<AttrPath> {
    let (urn, rest) = if word.to_ascii_lowercase().starts_with("urn:") {
        match word.rfind(':') {
            Some(i) => (Some(word[..i].to_owned()), &word[i + 1..]),
            None => (None, word),
        }
    } else {
        (None, word)
    };
    let mut parts = rest.splitn(2, '.');
    let attr = parts.next().unwrap_or_default().to_owned();
    let sub = parts.next().map(str::to_owned);
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '$')
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '$' | '_' | '-'))
    };
    if !valid(&attr) || sub.as_deref().is_some_and(|s| !valid(s)) {
        return Err(ScimError::invalid_filter(format!(
            "{word:?} is not an attribute path"
        )));
    }
    Ok(AttrPath { urn, attr, sub })
}

/// Longest filter or path accepted, in characters.
pub const MAX_LENGTH: usize = 4_096;
/// Most comparisons in one filter.
pub const MAX_TERMS: usize = 100;
/// Deepest nesting of `( )` and `[ ]`.
pub const MAX_DEPTH: usize = 16;

// The tree is walked recursively (into SQL, in memory, when dropped), so
// its size is bounded: a client cannot grow it until the stack runs out.
struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    error: fn(String) -> ScimError,
    terms: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn fail<T>(&self, msg: impl Into<String>) -> ScimResult<T> {
        Err((self.error)(msg.into()))
    }

    fn or(&mut self) -> ScimResult<Filter> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> ScimResult<Filter> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> ScimResult<Filter> {
        if self.peek_word("not") && matches!(self.tokens.get(self.pos + 1), Some(Token::Open)) {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if matches!(self.peek(), Some(Token::Open)) {
            return self.group();
        }
        self.expression()
    }

    fn nest(&mut self) -> ScimResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("a filter nests at most {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn group(&mut self) -> ScimResult<Filter> {
        if self.next() != Some(Token::Open) {
            return self.fail("expected (");
        }
        self.nest()?;
        let inner = self.or()?;
        self.depth -= 1;
        if self.next() != Some(Token::Close) {
            return self.fail("a ( is not closed");
        }
        Ok(inner)
    }

    fn expression(&mut self) -> ScimResult<Filter> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return self.fail(format!("a filter has at most {MAX_TERMS} comparisons"));
        }
        let word = match self.next() {
            Some(Token::Word(w)) => w,
            Some(other) => return self.fail(format!("expected an attribute, found {other:?}")),
            None => return self.fail("the filter ends too early"),
        };
        let path = attr_path(&word).map_err(|e| (self.error)(e.detail))?;
        if matches!(self.peek(), Some(Token::BracketOpen)) {
            self.pos += 1;
            self.nest()?;
            let inner = self.or()?;
            self.depth -= 1;
            if self.next() != Some(Token::BracketClose) {
                return self.fail("a [ is not closed");
            }
            return Ok(Filter::Any(path, Box::new(inner)));
        }
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            _ => return self.fail(format!("expected an operator after {word}")),
        };
        let op = match op.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return self.fail(format!("unknown operator {other:?}")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Literal::Str(s),
            Some(Token::Num(n)) => Literal::Num(n),
            Some(Token::Word(w)) if w == "true" => Literal::Bool(true),
            Some(Token::Word(w)) if w == "false" => Literal::Bool(false),
            Some(Token::Word(w)) if w == "null" => Literal::Null,
            Some(other) => return self.fail(format!("expected a value, found {other:?}")),
            None => return self.fail("the filter ends before a value"),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a `filter` query parameter.
pub fn parse(input: &str) -> ScimResult<Filter> {
    if input.chars().count() > MAX_LENGTH {
        return Err(ScimError::invalid_filter(format!(
            "a filter has at most {MAX_LENGTH} characters"
        )));
    }
    let mut parser = Parser {
        tokens: lex(input, ScimError::invalid_filter)?,
        pos: 0,
        error: ScimError::invalid_filter,
        terms: 0,
        depth: 0,
    };
    let filter = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return parser.fail("unexpected text after the filter");
    }
    Ok(filter)
}

/// Parses a PATCH operation's `path`.
pub fn parse_path(input: &str) -> ScimResult<PatchPath> {
    if input.chars().count() > MAX_LENGTH {
        return Err(ScimError::invalid_path(format!(
            "a path has at most {MAX_LENGTH} characters"
        )));
    }
    let tokens = lex(input, ScimError::invalid_path)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        error: ScimError::invalid_path,
        terms: 0,
        depth: 0,
    };
    let attr = match parser.next() {
        Some(Token::Word(w)) => attr_path(&w).map_err(|e| ScimError::invalid_path(e.detail))?,
        _ => return Err(ScimError::invalid_path(format!("{input:?} is not a path"))),
    };
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if matches!(parser.peek(), Some(Token::BracketOpen)) {
        if path.attr.sub.is_some() {
            return Err(ScimError::invalid_path("a filter follows a sub-attribute"));
        }
        parser.pos += 1;
        parser.nest()?;
        path.filter = Some(parser.or()?);
        if parser.next() != Some(Token::BracketClose) {
            return Err(ScimError::invalid_path("a [ is not closed"));
        }
        if parser.peek() == Some(&Token::Dot) {
            parser.pos += 1;
            match parser.next() {
                Some(Token::Word(w)) if !w.contains('.') && !w.contains(':') => path.sub = Some(w),
                _ => return Err(ScimError::invalid_path("expected a sub-attribute after ].")),
            }
        }
    }
    if parser.pos != parser.tokens.len() {
        return Err(ScimError::invalid_path(format!("{input:?} is not a path")));
    }
    Ok(path)
}

/// Finds `name` in a JSON object, ignoring case (attribute names are
/// case-insensitive).
pub fn field<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn values_at<'a>(obj: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(v) = field(obj, &path.attr) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    match &path.sub {
        None => items
            .into_iter()
            // A complex multi-valued attribute compares by its value.
            .map(|i| {
                if i.is_object() {
                    field(i, "value").unwrap_or(i)
                } else {
                    i
                }
            })
            .collect(),
        Some(sub) => items.into_iter().filter_map(|i| field(i, sub)).collect(),
    }
}

fn compare(value: &Value, op: Op, literal: &Literal) -> bool {
    use std::cmp::Ordering;
    let ordering = match (value, literal) {
        (Value::String(a), Literal::Str(b)) => {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            match op {
                Op::Co => return a.contains(&b),
                Op::Sw => return a.starts_with(&b),
                Op::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Number(a), Literal::Num(b)) => match a.as_f64().and_then(|a| a.partial_cmp(b)) {
            Some(o) => o,
            None => return false,
        },
        (Value::Bool(a), Literal::Bool(b)) => {
            return match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                _ => false,
            }
        }
        (Value::Null, Literal::Null) => Ordering::Equal,
        _ => return op == Op::Ne,
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

/// Whether `obj` (a resource, or one element of a multi-valued attribute)
/// matches `filter`. Strings compare ignoring case.
pub fn matches(filter: &Filter, obj: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, obj) && matches(b, obj),
        Filter::Or(a, b) => matches(a, obj) || matches(b, obj),
        Filter::Not(f) => !matches(f, obj),
        Filter::Present(path) => values_at(obj, path).iter().any(|v| {
            !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
        }),
        Filter::Compare(path, op, literal) => {
            let values = values_at(obj, path);
            if values.is_empty() {
                return matches!(op, Op::Ne) && *literal != Literal::Null
                    || (*op == Op::Eq && *literal == Literal::Null);
            }
            values.iter().any(|v| compare(v, *op, literal))
        }
        Filter::Any(path, inner) => match field(obj, &path.attr) {
            Some(Value::Array(items)) => items.iter().any(|i| matches(inner, i)),
            Some(v @ Value::Object(_)) => matches(inner, v),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(attr: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: None,
            attr: attr.into(),
            sub: sub.map(Into::into),
        }
    }

    #[test]
    fn precedence_and_grouping() {
        let f = parse(r#"userName eq "a" or name.givenName sw "B" and active eq true"#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(Filter::Compare(
                    path("userName", None),
                    Op::Eq,
                    Literal::Str("a".into())
                )),
                Box::new(Filter::And(
                    Box::new(Filter::Compare(
                        path("name", Some("givenName")),
                        Op::Sw,
                        Literal::Str("B".into())
                    )),
                    Box::new(Filter::Compare(
                        path("active", None),
                        Op::Eq,
                        Literal::Bool(true)
                    )),
                ))
            )
        );
        let g = parse(r#"not (title pr) and (a eq 1 or b lt 2.5)"#).unwrap();
        assert!(matches!(g, Filter::And(ref l, _) if matches!(**l, Filter::Not(_))));
    }

    #[test]
    fn value_paths_and_urns() {
        let f = parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert!(matches!(f, Filter::Any(ref p, _) if p.attr == "emails"));
        let u = parse(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
        )
        .unwrap();
        match u {
            Filter::Compare(p, Op::Eq, _) => {
                assert_eq!(
                    p.urn.as_deref(),
                    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                );
                assert_eq!(p.key(), "manager.value");
            }
            other => panic!("{other:?}"),
        }
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr.attr, "emails");
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let m = parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert!(m.filter.is_some() && m.sub.is_none());
    }

    #[test]
    fn escapes_and_errors() {
        let f = parse(r#"displayName eq "say \"hi\"""#).unwrap();
        assert_eq!(
            f,
            Filter::Compare(
                path("displayName", None),
                Op::Eq,
                Literal::Str("say \"hi\"".into())
            )
        );
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName zz \"a\"",
            "(userName eq \"a\"",
            "userName eq \"a\" junk",
            "emails[type eq \"work\"",
            "userName eq \"open",
            "1 eq 2",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{bad}");
        }
        assert_eq!(parse_path("a[").unwrap_err().scim_type, Some("invalidPath"));
    }

    #[test]
    fn filters_are_bounded() {
        // Long chains and deep nesting would be walked recursively: they are
        // refused before they are built.
        let chain = vec![r#"userName eq "a""#; 5_000].join(" and ");
        let deep = format!(
            "{}userName eq \"a\"{}",
            "(".repeat(2_000),
            ")".repeat(2_000)
        );
        let many = vec![r#"a eq 1"#; MAX_TERMS + 1].join(" or ");
        for bad in [chain.as_str(), deep.as_str(), many.as_str()] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{}", err.detail);
        }
        assert!(parse(&vec![r#"a eq 1"#; MAX_TERMS].join(" or ")).is_ok());
        let nested = format!("{}a eq 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&nested).is_ok());
        let path = format!("members[{}]", vec![r#"value eq "x""#; 1_000].join(" or "));
        assert_eq!(
            parse_path(&path).unwrap_err().scim_type,
            Some("invalidPath")
        );
    }

    #[test]
    fn evaluates_against_json() {
        let user = json!({
            "userName": "Bjensen",
            "active": true,
            "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
            "name": {"givenName": "Barbara"}
        });
        let yes = [
            r#"username eq "bjensen""#,
            r#"emails[type eq "home" and value ew ".org"]"#,
            r#"emails.value co "example""#,
            r#"name.givenName sw "bar""#,
            r#"active eq true and not (title pr)"#,
            r#"userName gt "a""#,
        ];
        for f in yes {
            assert!(matches(&parse(f).unwrap(), &user), "{f}");
        }
        let no = [
            r#"emails[type eq "other"]"#,
            r#"active eq false"#,
            r#"title pr"#,
            r#"userName lt "a""#,
        ];
        for f in no {
            assert!(!matches(&parse(f).unwrap(), &user), "{f}");
        }
    }
}
