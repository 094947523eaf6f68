//! Rendering templates with minijinja: every placeholder is HTML-escaped in
//! the body, unknown placeholders are errors (so a typo is caught when the
//! template is saved or previewed, not in a customer's inbox).

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

/// The values a template may use.
#[derive(Clone, Debug, Serialize)]
pub struct Placeholders {
    pub name: String,
    pub account: String,
    pub link: String,
    pub expiry: String,
}

/// A rendered mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

fn environment(html: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(move |_| {
        if html {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// Renders one text (`html` escapes the values).
fn render_one(source: &str, values: &Placeholders, html: bool) -> Result<String, String> {
    let env = environment(html);
    let template = env.template_from_str(source).map_err(|e| e.to_string())?;
    template.render(values).map_err(|e| e.to_string())
}

/// Renders a subject and an HTML body; the text part is the body without
/// its tags.
pub fn render(subject: &str, body: &str, values: &Placeholders) -> Result<Rendered, String> {
    let subject = render_one(subject, values, false)?;
    let html = render_one(body, values, true)?;
    let text = to_text(&html);
    Ok(Rendered {
        subject: subject.replace(['\r', '\n'], " "),
        html,
        text,
    })
}

/// A plain-text version of simple HTML: tags dropped, paragraphs on their
/// own lines, links written out, entities decoded.
fn to_text(html: &str) -> String {
    let html = &write_out_links(html);
    let spaced = html
        .replace("</p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n");
    let mut out = String::with_capacity(spaced.len());
    let mut in_tag = false;
    for c in spaced.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

/// `<a href="url">label</a>` as `label (url)`, so the text part keeps
/// the link (unless the label is the link itself).
fn write_out_links(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<a ") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let (Some(href_at), Some(open_end), Some(close)) =
            (tag.find("href=\""), tag.find('>'), tag.find("</a>"))
        else {
            out.push_str(tag);
            return out;
        };
        let url_start = href_at + 6;
        let url_end = tag[url_start..]
            .find('"')
            .map(|e| url_start + e)
            .unwrap_or(url_start);
        let url = &tag[url_start..url_end];
        let label = &tag[open_end + 1..close.max(open_end + 1)];
        if label.trim() == url {
            out.push_str(url);
        } else {
            out.push_str(&format!("{label} ({url})"));
        }
        rest = &tag[close + 4..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Placeholders {
        Placeholders {
            name: name.into(),
            account: "Acme".into(),
            link: "http://x.test/accept?token=t".into(),
            expiry: "2026-12-01".into(),
        }
    }

    #[test]
    fn values_are_escaped_in_html_only() {
        let r = render(
            "Hi {{ name }}",
            "<p>Hi {{ name }}</p>",
            &values("<b>Bo</b> & co"),
        )
        .unwrap();
        assert_eq!(r.subject, "Hi <b>Bo</b> & co");
        assert_eq!(r.html, "<p>Hi &lt;b&gt;Bo&lt;&#x2f;b&gt; &amp; co</p>");
        assert_eq!(r.text, "Hi <b>Bo</b> & co");
    }

    #[test]
    fn links_are_written_out_in_the_text_part() {
        let r = render(
            "x",
            "<p>Click <a href=\"{{ link }}\">here</a>.</p>",
            &values("a"),
        )
        .unwrap();
        assert_eq!(r.text, "Click here (http://x.test/accept?token=t).");
    }

    #[test]
    fn unknown_placeholders_and_syntax_errors_are_refused() {
        assert!(render("x", "{{ nmae }}", &values("a")).is_err());
        assert!(render("x", "{% if %}", &values("a")).is_err());
    }

    #[test]
    fn every_builtin_renders() {
        use roster_entities::invitation::Kind;
        for kind in [
            Kind::Welcome,
            Kind::PortalActivation,
            Kind::Transfer,
            Kind::PasswordReset,
        ] {
            for language in crate::kernel::validation::LOCALES {
                let (subject, body) = super::super::builtin::template(kind, language);
                let r = render(subject, body, &values("Ann")).unwrap();
                assert!(
                    r.text.contains("http://x.test/accept?token=t"),
                    "{kind:?} {language}"
                );
                assert!(r.subject.contains("Acme"));
            }
        }
    }
}
