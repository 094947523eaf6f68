//! Turns a parsed filter into a WHERE condition, so that filters run in the
//! database (with its indexes) and never over an account loaded into memory.
//! Each resource says what its attributes are in SQL (`Operand`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{BinOper, Expr, Func, LikeExpr, SimpleExpr};

use super::error::{ScimError, ScimResult};
use super::filter::{AttrPath, Filter, Literal, Op};

/// Builds the condition of an attribute with its own comparison, for one
/// operator and value (`None` is `pr`).
pub type Compare = Box<dyn Fn(Option<(Op, &Literal)>) -> ScimResult<SimpleExpr> + Send + Sync>;

/// What an attribute is in SQL.
pub enum Operand {
    /// A string column (or expression); compared ignoring case unless
    /// `case_exact`.
    Text { expr: SimpleExpr, case_exact: bool },
    /// A boolean, as the condition under which it is true.
    Flag(SimpleExpr),
    /// A timestamp column.
    Time(SimpleExpr),
    /// An attribute with its own comparison (members, groups): builds the
    /// condition for one operator and value; `None` is `pr`.
    Custom(Compare),
}

pub fn always() -> SimpleExpr {
    Expr::cust("1 = 1")
}

pub fn never() -> SimpleExpr {
    Expr::cust("1 = 0")
}

fn like_pattern(s: &str, prefix: bool, suffix: bool) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    if prefix {
        p.push('%');
    }
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    if suffix {
        p.push('%');
    }
    p
}

fn text(
    expr: SimpleExpr,
    case_exact: bool,
    op: Op,
    literal: &Literal,
    name: &str,
) -> ScimResult<SimpleExpr> {
    let s = match literal {
        Literal::Str(s) => s.clone(),
        Literal::Null => {
            return Ok(match op {
                Op::Eq => Expr::expr(expr).is_null(),
                Op::Ne => Expr::expr(expr).is_not_null(),
                _ => {
                    return Err(ScimError::invalid_filter(format!(
                        "{name}: null compares with eq or ne only"
                    )))
                }
            })
        }
        Literal::Num(n) => n.to_string(),
        Literal::Bool(_) => {
            return Err(ScimError::invalid_filter(format!(
                "{name} is a string, not a boolean"
            )))
        }
    };
    if case_exact {
        let lhs = Expr::expr(expr.clone());
        return Ok(match op {
            Op::Eq => lhs.eq(s),
            Op::Ne => lhs.ne(s).or(Expr::expr(expr).is_null()),
            Op::Co => lhs.like(LikeExpr::new(like_pattern(&s, true, true)).escape('\\')),
            Op::Sw => lhs.like(LikeExpr::new(like_pattern(&s, false, true)).escape('\\')),
            Op::Ew => lhs.like(LikeExpr::new(like_pattern(&s, true, false)).escape('\\')),
            Op::Gt => lhs.gt(s),
            Op::Ge => lhs.gte(s),
            Op::Lt => lhs.lt(s),
            Op::Le => lhs.lte(s),
        });
    }
    // Both sides go through the database's LOWER, so they fold alike on
    // every database (SQLite folds ASCII only; PostgreSQL all of Unicode).
    let lhs = Expr::expr(Func::lower(expr.clone()));
    let rhs = |v: String| -> SimpleExpr { Func::lower(Expr::val(v)).into() };
    let like = |pattern: String| {
        let pattern = SimpleExpr::Binary(
            Box::new(Func::lower(Expr::val(pattern)).into()),
            BinOper::Escape,
            Box::new(SimpleExpr::Constant('\\'.into())),
        );
        Expr::expr(Func::lower(expr.clone())).binary(BinOper::Like, pattern)
    };
    Ok(match op {
        Op::Eq => lhs.eq(rhs(s)),
        Op::Ne => lhs.ne(rhs(s)).or(Expr::expr(expr.clone()).is_null()),
        Op::Co => like(like_pattern(&s, true, true)),
        Op::Sw => like(like_pattern(&s, false, true)),
        Op::Ew => like(like_pattern(&s, true, false)),
        Op::Gt => lhs.gt(rhs(s)),
        Op::Ge => lhs.gte(rhs(s)),
        Op::Lt => lhs.lt(rhs(s)),
        Op::Le => lhs.lte(rhs(s)),
    })
}

fn flag(cond: SimpleExpr, op: Op, literal: &Literal, name: &str) -> ScimResult<SimpleExpr> {
    let value = match literal {
        Literal::Bool(b) => *b,
        // Some clients quote booleans.
        Literal::Str(s) if s.eq_ignore_ascii_case("true") => true,
        Literal::Str(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return Err(ScimError::invalid_filter(format!("{name} is a boolean"))),
    };
    match op {
        Op::Eq if value => Ok(cond),
        Op::Ne if !value => Ok(cond),
        Op::Eq | Op::Ne => Ok(cond.not()),
        _ => Err(ScimError::invalid_filter(format!(
            "{name} compares with eq or ne only"
        ))),
    }
}

fn time(expr: SimpleExpr, op: Op, literal: &Literal, name: &str) -> ScimResult<SimpleExpr> {
    let Literal::Str(s) = literal else {
        return Err(ScimError::invalid_filter(format!(
            "{name} is a date-time string"
        )));
    };
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(s)
        .map_err(|_| {
            ScimError::invalid_filter(format!("{name}: {s:?} is not an RFC 3339 date-time"))
        })?
        .with_timezone(&Utc);
    let e = Expr::expr(expr);
    Ok(match op {
        Op::Eq => e.eq(at),
        Op::Ne => e.ne(at),
        Op::Gt => e.gt(at),
        Op::Ge => e.gte(at),
        Op::Lt => e.lt(at),
        Op::Le => e.lte(at),
        Op::Co | Op::Sw | Op::Ew => {
            return Err(ScimError::invalid_filter(format!(
                "{name} is a date-time: use eq, gt, ge, lt or le"
            )))
        }
    })
}

fn present(operand: Operand) -> ScimResult<SimpleExpr> {
    Ok(match operand {
        Operand::Text { expr, .. } => Expr::expr(expr.clone())
            .is_not_null()
            .and(Expr::expr(expr).binary(BinOper::NotEqual, Expr::val(""))),
        Operand::Flag(_) => always(),
        Operand::Time(expr) => Expr::expr(expr).is_not_null(),
        Operand::Custom(f) => f(None)?,
    })
}

/// An attribute whose `eq` has an index of its own (`exact`, given the
/// value); its other comparisons and `pr` use `general`.
pub fn indexed(
    name: &'static str,
    exact: impl Fn(&str) -> SimpleExpr + Send + Sync + 'static,
    general: impl Fn() -> Operand + Send + Sync + 'static,
) -> Operand {
    Operand::Custom(Box::new(move |cmp| match cmp {
        Some((Op::Eq, Literal::Str(v))) => Ok(exact(v)),
        Some((op, literal)) => condition(
            &Filter::Compare(
                AttrPath {
                    urn: None,
                    attr: name.to_owned(),
                    sub: None,
                },
                op,
                literal.clone(),
            ),
            &|_| Ok(general()),
        ),
        None => present(general()),
    }))
}

/// The condition of `filter`; `resolve` says what each attribute is (and
/// refuses unknown ones with `invalidFilter`).
pub fn condition(
    filter: &Filter,
    resolve: &dyn Fn(&AttrPath) -> ScimResult<Operand>,
) -> ScimResult<SimpleExpr> {
    Ok(match filter {
        Filter::And(a, b) => condition(a, resolve)?.and(condition(b, resolve)?),
        Filter::Or(a, b) => condition(a, resolve)?.or(condition(b, resolve)?),
        // A comparison with NULL is unknown, and NOT unknown drops the row:
        // `not (department eq "x")` must keep users without a department.
        Filter::Not(f) => Expr::expr(Func::coalesce([
            condition(f, resolve)?,
            Expr::val(false).into(),
        ]))
        .not(),
        Filter::Present(path) => present(resolve(path)?)?,
        Filter::Compare(path, op, literal) => {
            let name = path.key();
            match resolve(path)? {
                Operand::Text { expr, case_exact } => text(expr, case_exact, *op, literal, &name)?,
                Operand::Flag(cond) => flag(cond, *op, literal, &name)?,
                Operand::Time(expr) => time(expr, *op, literal, &name)?,
                Operand::Custom(f) => f(Some((*op, literal)))?,
            }
        }
        Filter::Any(outer, inner) => {
            // The inner paths name sub-attributes of `outer`.
            let nested = |p: &AttrPath| {
                if p.sub.is_some() {
                    return Err(ScimError::invalid_filter(
                        "a filter in [] names sub-attributes only",
                    ));
                }
                resolve(&AttrPath {
                    urn: outer.urn.clone(),
                    attr: outer.attr.clone(),
                    sub: Some(p.attr.clone()),
                })
            };
            condition(inner, &nested)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse;
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};

    fn resolve(p: &AttrPath) -> ScimResult<Operand> {
        match p.key().as_str() {
            "username" => Ok(Operand::Text {
                expr: Expr::col(Alias::new("user_name")).into(),
                case_exact: false,
            }),
            "emails.type" => Ok(Operand::Text {
                expr: Expr::val("work").into(),
                case_exact: false,
            }),
            "emails.value" | "emails" => Ok(Operand::Text {
                expr: Expr::col(Alias::new("email")).into(),
                case_exact: false,
            }),
            "active" => Ok(Operand::Flag(
                Expr::col(Alias::new("status")).ne("SUSPENDED"),
            )),
            "meta.created" => Ok(Operand::Time(Expr::col(Alias::new("created_at")).into())),
            "externalid" => Ok(Operand::Text {
                expr: Expr::col(Alias::new("external_id")).into(),
                case_exact: true,
            }),
            other => Err(ScimError::invalid_filter(format!(
                "cannot filter by {other}"
            ))),
        }
    }

    fn sql(filter: &str) -> String {
        let cond = condition(&parse(filter).unwrap(), &resolve).unwrap();
        Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("users"))
            .and_where(cond)
            .to_string(SqliteQueryBuilder)
    }

    #[test]
    fn builds_conditions() {
        assert_eq!(
            sql(r#"userName eq "BJensen""#),
            r#"SELECT "id" FROM "users" WHERE LOWER("user_name") = LOWER('BJensen')"#
        );
        assert_eq!(
            sql(r#"emails[type eq "work" and value co "50%"]"#),
            r#"SELECT "id" FROM "users" WHERE LOWER('work') = LOWER('work') AND LOWER("email") LIKE LOWER('%50\%%') ESCAPE '\'"#
        );
        assert_eq!(
            sql(r#"active eq false or not (externalId pr)"#),
            r#"SELECT "id" FROM "users" WHERE (NOT "status" <> 'SUSPENDED') OR (NOT COALESCE("external_id" IS NOT NULL AND "external_id" <> '', FALSE))"#
        );
        let pg = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("users"))
            .and_where(
                condition(
                    &parse(r#"meta.created gt "2026-01-01T00:00:00Z""#).unwrap(),
                    &resolve,
                )
                .unwrap(),
            )
            .to_string(PostgresQueryBuilder);
        assert!(
            pg.contains(r#""created_at" > '2026-01-01 00:00:00"#),
            "{pg}"
        );
    }

    #[test]
    fn refuses_what_cannot_be_compared() {
        for (f, why) in [
            (r#"title eq "x""#, "cannot filter by title"),
            (r#"active gt true"#, "eq or ne only"),
            (r#"meta.created eq "yesterday""#, "RFC 3339"),
            (r#"userName eq true"#, "not a boolean"),
        ] {
            let err = condition(&parse(f).unwrap(), &resolve).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"));
            assert!(err.detail.contains(why), "{f}: {}", err.detail);
        }
    }
}
