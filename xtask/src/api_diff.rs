//! Which public items of the generated client changed between two versions.

use std::collections::BTreeMap;

/// One line per public item added, removed or changed, e.g.
/// `changed  struct types::TokenResponse`.
pub fn public_items(old: &str, new: &str) -> Vec<String> {
    let old = items(old);
    let new = items(new);
    let mut out = Vec::new();
    for (name, body) in &new {
        match old.get(name) {
            None => out.push(format!("added    {name}")),
            Some(previous) if previous != body => out.push(format!("changed  {name}")),
            Some(_) => {}
        }
    }
    for name in old.keys() {
        if !new.contains_key(name) {
            out.push(format!("removed  {name}"));
        }
    }
    out
}

/// Public items keyed by `kind path::Name`, valued by their tokens.
fn items(source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(file) = syn::parse_file(source) {
        collect(&file.items, "", &mut out);
    }
    out
}

fn collect(items: &[syn::Item], prefix: &str, out: &mut BTreeMap<String, String>) {
    use quote::ToTokens;
    for item in items {
        let (kind, name, public) = match item {
            syn::Item::Struct(s) => ("struct", s.ident.to_string(), is_pub(&s.vis)),
            syn::Item::Enum(e) => ("enum", e.ident.to_string(), is_pub(&e.vis)),
            syn::Item::Const(c) => ("const", c.ident.to_string(), is_pub(&c.vis)),
            syn::Item::Type(t) => ("type", t.ident.to_string(), is_pub(&t.vis)),
            syn::Item::Fn(f) => ("fn", f.sig.ident.to_string(), is_pub(&f.vis)),
            syn::Item::Mod(m) => {
                if let (true, Some((_, inner))) = (is_pub(&m.vis), &m.content) {
                    collect(inner, &format!("{prefix}{}::", m.ident), out);
                }
                continue;
            }
            syn::Item::Impl(block) if block.trait_.is_none() => {
                let ty = block.self_ty.to_token_stream().to_string();
                for member in &block.items {
                    if let syn::ImplItem::Fn(f) = member
                        && is_pub(&f.vis)
                    {
                        out.insert(
                            format!("fn {prefix}{ty}::{}", f.sig.ident),
                            f.sig.to_token_stream().to_string(),
                        );
                    }
                }
                continue;
            }
            _ => continue,
        };
        if public {
            out.insert(
                format!("{kind} {prefix}{name}"),
                item.to_token_stream().to_string(),
            );
        }
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_removed_and_changed_items() {
        let old = "pub mod types { pub struct A { pub x: i64 } pub struct B; }
                   impl Client { pub fn op(&self) -> u8 { 0 } }";
        let new = "pub mod types { pub struct A { pub x: String } pub struct C; }
                   impl Client { pub fn op(&self) -> u8 { 1 } }";
        assert_eq!(
            public_items(old, new),
            [
                "changed  struct types::A",
                "added    struct types::C",
                "removed  struct types::B"
            ]
        );
    }
}
