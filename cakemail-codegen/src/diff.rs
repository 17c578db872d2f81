//! What changed between two versions of the upstream document, and what that
//! means for users of the generated Rust client.
//!
//! # How documents are compared
//!
//! Both documents first go through the *faithful* normalization rules (see
//! [`CANONICAL_RULES`]): those that only restate the same constraint in
//! another spelling (OpenAPI 3.1 `type: [T, "null"]` vs 3.0 `nullable`,
//! `const` vs a one-value `enum`, `allOf: [X]` wrappers vs `$ref: X`, `600.0`
//! vs `600` bounds). The rules that rename or merge (error merging, hoisting,
//! secret strings) are *not* applied: the report speaks of upstream's names,
//! which is what a maintainer reads in Cakemail's changelog. A rule that fails
//! on a document is skipped for that document, so a diff is produced even for
//! a document the generator would refuse.
//!
//! Schemas are then compared by structure, following `$ref`s on both sides
//! (with cycle protection), so moving an inline schema into a component is not
//! a change, while a change inside a component is reported once, under the
//! component's name, with the operations that reach it.
//!
//! # How changes are classified
//!
//! Each change is [`Severity::Breaking`], [`Severity::Minor`] (compatible
//! addition or behaviour change) or [`Severity::Patch`] (no effect on the Rust
//! API), judged for the client progenitor and typify generate: builders for
//! requests, plain structs with public fields and exhaustive enums for
//! responses. The main rules:
//!
//! | change | request side | response side |
//! | --- | --- | --- |
//! | field added, optional | minor (new builder setter) | minor (serde ignores nothing, readers unaffected) |
//! | field added, required, no default | breaking (builders fail without it) | minor |
//! | field removed or renamed | breaking | breaking |
//! | field becomes required | breaking | minor, or breaking if `Option<T>` becomes `T` |
//! | field's Rust type changes (`T` ↔ `Option<T>`, nullable, type, typed format) | breaking | breaking |
//! | enum value added | minor | breaking (typify enums are exhaustive) |
//! | enum value removed | breaking | breaking |
//! | default value changed | minor | minor |
//!
//! Operations: added is minor, removed breaking, deprecated minor (a compiler
//! warning), un-deprecated patch. A new success status with a new schema
//! changes the method's return type (breaking); a new error status is minor
//! when its body is an object, because the normalizer merges every error body
//! of an operation into one error type whose fields are optional unless all
//! error bodies require them, and the HTTP status is a plain number, not an
//! enum. A removed error status whose schema no other status carries is
//! breaking: the merged error type may lose fields. Security requirements
//! added or removed on an operation are minor (the client attaches the token by
//! itself; the server enforces the requirement whatever the SDK version);
//! a security scheme removed or its type or token URL changed is breaking (the
//! hand-written token manager must follow).
//!
//! The release needs the largest bump any change asks for; see [`Bump`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::diagnostic::Diagnostic;
use crate::document::METHODS;
use crate::normalize::RULES;

/// Normalization rules applied to both documents before comparing: those that
/// only change the spelling of a constraint, never its meaning or a name.
pub const CANONICAL_RULES: &[&str] = &[
    "openapi_version",
    "json_schema_2020_to_openapi_3_0",
    "single_all_of_and_ref_siblings",
    "integer_bounds",
];

/// How much a change matters to users of the generated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No effect on the Rust API (documentation-level or validation detail).
    Patch,
    /// Compatible: additions, deprecations, behaviour changes within the API.
    Minor,
    /// Code written against the previous client may stop compiling or working.
    Breaking,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Patch => "patch",
            Severity::Minor => "minor",
            Severity::Breaking => "BREAKING",
        }
    }
}

/// The version bump a release needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Nothing changed.
    None,
    /// `x.y.Z`.
    Patch,
    /// `x.Y.0`.
    Minor,
    /// `X.0.0`.
    Major,
}

impl Bump {
    /// The bump for a crate still at `0.x`, where Cargo treats the minor
    /// number as the major one: breaking → minor, anything else → patch.
    pub fn zero_x(self) -> Bump {
        match self {
            Bump::Major => Bump::Minor,
            Bump::Minor | Bump::Patch => Bump::Patch,
            Bump::None => Bump::None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Subject {
    /// The document as a whole (`servers`).
    Document,
    /// One operation, known by its operationId (or `METHOD path`).
    Operation {
        /// operationId, or `METHOD path` when it has none.
        id: String,
        /// HTTP method, upper case.
        method: String,
        /// Path template.
        path: String,
    },
    /// A component schema, with every operation that reaches it.
    Schema {
        /// Component name.
        name: String,
    },
    /// A security scheme.
    Security {
        /// Scheme name.
        scheme: String,
    },
}

/// One change, classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What the change is about.
    pub subject: Subject,
    /// Where within the subject, e.g. `request body`, `field accounts[]`; empty
    /// for the subject itself.
    pub location: String,
    /// A stable machine tag, e.g. `field_added`, `enum_value_removed`.
    pub kind: &'static str,
    /// What changed, in words.
    pub message: String,
    /// How much it matters.
    pub severity: Severity,
    /// Why it has that severity.
    pub reason: String,
    /// For schema changes: the operations and sides (`createToken response`)
    /// that reach the schema.
    pub used_by: Vec<String>,
}

/// The changes between two documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// `info.version` of the old document.
    pub old_version: Option<String>,
    /// `info.version` of the new document.
    pub new_version: Option<String>,
    /// Every change, grouped by subject, operations first.
    pub changes: Vec<Change>,
}

impl Report {
    /// The largest severity of any change.
    pub fn severity(&self) -> Option<Severity> {
        self.changes.iter().map(|c| c.severity).max()
    }

    /// Whether any change is breaking.
    pub fn has_breaking(&self) -> bool {
        self.severity() == Some(Severity::Breaking)
    }

    /// The semver bump the release needs (for a crate at 1.0 or later; see
    /// [`Bump::zero_x`] for 0.x).
    pub fn bump(&self) -> Bump {
        match self.severity() {
            None => Bump::None,
            Some(Severity::Patch) => Bump::Patch,
            Some(Severity::Minor) => Bump::Minor,
            Some(Severity::Breaking) => Bump::Major,
        }
    }

    /// How many changes have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }

    /// The report for people, grouped by operation, schema and security scheme.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        let _ = writeln!(
            out,
            "Spec diff {} -> {}: {} breaking, {} minor, {} patch",
            version(&self.old_version),
            version(&self.new_version),
            self.count(Severity::Breaking),
            self.count(Severity::Minor),
            self.count(Severity::Patch),
        );
        let bump = self.bump();
        let _ = writeln!(
            out,
            "Release: {} bump (while the crate is 0.x: {} bump)",
            bump.name(),
            bump.zero_x().name()
        );
        if self.changes.is_empty() {
            let _ = writeln!(out, "\nNo changes.");
            return out;
        }
        let mut current: Option<&Subject> = None;
        for change in &self.changes {
            if current != Some(&change.subject) {
                let heading = match &change.subject {
                    Subject::Document => "Document".to_string(),
                    Subject::Operation { id, method, path } => {
                        format!("Operation {id} ({method} {path})")
                    }
                    Subject::Schema { name } => format!("Schema {name}"),
                    Subject::Security { scheme } => format!("Security scheme {scheme}"),
                };
                let _ = writeln!(out, "\n{heading}");
                current = Some(&change.subject);
            }
            let at = if change.location.is_empty() {
                String::new()
            } else {
                format!("{}: ", change.location)
            };
            let _ = writeln!(
                out,
                "  [{}] {at}{} ({})",
                change.severity.label(),
                change.message,
                change.reason
            );
            if !change.used_by.is_empty() {
                let _ = writeln!(out, "      used by: {}", change.used_by.join(", "));
            }
        }
        out
    }

    /// The report for machines.
    pub fn to_json(&self) -> Value {
        let bump = self.bump();
        json!({
            "old_version": self.old_version,
            "new_version": self.new_version,
            "summary": {
                "breaking": self.count(Severity::Breaking),
                "minor": self.count(Severity::Minor),
                "patch": self.count(Severity::Patch),
            },
            "bump": bump,
            "bump_0x": bump.zero_x(),
            "changes": serde_json::to_value(&self.changes).unwrap_or(Value::Null),
        })
    }
}

/// Compares two documents already in memory.
pub fn diff(old: &Value, new: &Value) -> Report {
    let old_doc = canonical(old);
    let new_doc = canonical(new);
    let mut differ = Differ {
        old: &old_doc,
        new: &new_doc,
        changes: Vec::new(),
    };
    differ.document();
    differ.operations();
    differ.security_schemes();
    let mut changes = differ.changes;
    // Stable grouping: subjects in order (document, operations, schemas,
    // security), changes in discovery order within a subject.
    let mut order: BTreeMap<Subject, usize> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        order.entry(c.subject.clone()).or_insert(i);
    }
    changes.sort_by_key(|c| {
        let rank = match c.subject {
            Subject::Document => 0,
            Subject::Operation { .. } => 1,
            Subject::Schema { .. } => 2,
            Subject::Security { .. } => 3,
        };
        (rank, order.get(&c.subject).copied().unwrap_or(0))
    });
    let version = |d: &Value| {
        d.pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Report {
        old_version: version(old),
        new_version: version(new),
        changes,
    }
}

/// Reads both files (JSON or YAML) and compares them.
pub fn diff_files(old: &Path, new: &Path) -> Result<Report, Diagnostic> {
    let old = crate::document::load(old)?;
    let new = crate::document::load(new)?;
    Ok(diff(&old, &new))
}

/// `doc` after the [`CANONICAL_RULES`]; a rule that fails is skipped.
pub fn canonical(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for rule in RULES.iter().filter(|r| CANONICAL_RULES.contains(&r.name)) {
        let mut next = doc.clone();
        if (rule.apply)(&mut next).is_ok() {
            doc = next;
        }
    }
    doc
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Request,
    Response,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Request => "request",
            Role::Response => "response",
        }
    }
}

#[derive(Clone)]
struct Ctx {
    subject: Subject,
    location: String,
    role: Role,
    /// `createToken response`: recorded on schema changes.
    via: String,
}

impl Ctx {
    fn at(&self, suffix: &str) -> Ctx {
        let mut next = self.clone();
        next.location = if self.location.is_empty() {
            suffix.to_string()
        } else if suffix.starts_with('[') || suffix.starts_with('.') {
            format!("{}{suffix}", self.location)
        } else {
            format!("{} {suffix}", self.location)
        };
        next
    }

    fn field(&self, name: &str) -> Ctx {
        if self.location.is_empty() || !self.location.starts_with("field ") {
            self.at(&format!("field {name}"))
        } else {
            self.at(&format!(".{name}"))
        }
    }
}

/// A schema seen through its references: the component it names (if any),
/// the keys written beside the reference, and the effective body.
struct View {
    name: Option<String>,
    overlay: Map<String, Value>,
    body: Value,
}

impl View {
    fn effective(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(map) = body.as_object_mut() {
            for (k, v) in &self.overlay {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.overlay.get(key).or_else(|| self.body.get(key))
    }
}

const MAX_DEPTH: usize = 64;

fn view(doc: &Value, schema: &Value) -> View {
    view_at(doc, schema, 0)
}

fn view_at(doc: &Value, schema: &Value, depth: usize) -> View {
    let plain = |v: &Value| View {
        name: None,
        overlay: Map::new(),
        body: v.clone(),
    };
    if depth > MAX_DEPTH {
        return plain(&json!({}));
    }
    let Some(map) = schema.as_object() else {
        return plain(schema);
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut inner = view_at(doc, &target, depth + 1);
        if let Some(name) = reference.strip_prefix("#/components/schemas/")
            && !name.contains('/')
        {
            inner.name = Some(name.replace("~1", "/").replace("~0", "~"));
        }
        for (k, v) in map {
            if k != "$ref" {
                inner.overlay.insert(k.clone(), v.clone());
            }
        }
        return inner;
    }
    if let Some(Value::Array(members)) = map.get("allOf") {
        if members.len() == 1 {
            let mut inner = view_at(doc, &members[0], depth + 1);
            for (k, v) in map {
                if k != "allOf" {
                    inner.overlay.insert(k.clone(), v.clone());
                }
            }
            return inner;
        }
        // Several members: compare the object they make together.
        let mut merged = map.clone();
        merged.remove("allOf");
        let mut props = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for member in members {
            let member = view_at(doc, member, depth + 1).effective();
            for (k, v) in member.as_object().into_iter().flatten() {
                match k.as_str() {
                    "properties" => {
                        for (p, s) in v.as_object().into_iter().flatten() {
                            props.insert(p.clone(), s.clone());
                        }
                    }
                    "required" => required.extend(v.as_array().into_iter().flatten().cloned()),
                    _ => {
                        merged.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        if !props.is_empty() {
            merged.insert("properties".into(), Value::Object(props));
        }
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        return plain(&Value::Object(merged));
    }
    plain(schema)
}

/// `string`, `object`, …; `anyOf`/`oneOf` for untyped unions; None for `{}`.
fn kind(schema: &Value) -> Option<String> {
    match schema.get("type") {
        Some(Value::String(t)) => return Some(t.clone()),
        Some(other) if !other.is_null() => return Some(other.to_string()),
        _ => {}
    }
    if schema.get("properties").is_some() || schema.get("additionalProperties").is_some() {
        return Some("object".into());
    }
    if schema.get("items").is_some() {
        return Some("array".into());
    }
    for key in ["oneOf", "anyOf"] {
        if schema.get(key).is_some() {
            return Some(key.into());
        }
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(
            match first {
                Value::String(_) => "string",
                Value::Number(n) if n.is_f64() => "number",
                Value::Number(_) => "integer",
                Value::Bool(_) => "boolean",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::Null => "null",
            }
            .into(),
        );
    }
    None
}

/// Formats typify maps to a dedicated Rust type; other formats are plain
/// `String`/`i64`/`f64`.
const TYPED_FORMATS: &[&str] = &[
    "uuid",
    "date",
    "date-time",
    "ip",
    "ipv4",
    "ipv6",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int",
    "int32",
    "uint",
    "uint32",
    "int64",
    "uint64",
    "float",
    "double",
];

/// String constraints that make typify generate a validating newtype.
const STRING_CONSTRAINTS: &[&str] = &["pattern", "minLength", "maxLength"];

fn required_set(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
}

type Seen = BTreeSet<(String, String)>;

impl Differ<'_> {
    fn push(
        &mut self,
        ctx: &Ctx,
        kind: &'static str,
        message: String,
        severity: Severity,
        reason: &str,
    ) {
        let via = match ctx.subject {
            Subject::Schema { .. } if !ctx.via.is_empty() => Some(ctx.via.clone()),
            _ => None,
        };
        if let Some(existing) = self.changes.iter_mut().find(|c| {
            c.subject == ctx.subject
                && c.location == ctx.location
                && c.kind == kind
                && c.message == message
        }) {
            if severity > existing.severity {
                existing.severity = severity;
                existing.reason = reason.to_string();
            }
            if let Some(via) = via
                && !existing.used_by.contains(&via)
            {
                existing.used_by.push(via);
            }
            return;
        }
        self.changes.push(Change {
            subject: ctx.subject.clone(),
            location: ctx.location.clone(),
            kind,
            message,
            severity,
            reason: reason.to_string(),
            used_by: via.into_iter().collect(),
        });
    }

    /// Whether two schemas compare equal (no change of any severity).
    fn same(&self, old: &Value, new: &Value, role: Role) -> bool {
        let mut scratch = Differ {
            old: self.old,
            new: self.new,
            changes: Vec::new(),
        };
        let ctx = Ctx {
            subject: Subject::Document,
            location: String::new(),
            role,
            via: String::new(),
        };
        scratch.schema(&ctx, old, new, &mut Seen::new());
        scratch.changes.is_empty()
    }

    fn document(&mut self) {
        let servers = |d: &Value| -> Vec<String> {
            d.get("servers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("url").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        };
        let (old, new) = (servers(self.old), servers(self.new));
        if old != new {
            let ctx = Ctx {
                subject: Subject::Document,
                location: "servers".into(),
                role: Role::Request,
                via: String::new(),
            };
            self.push(
                &ctx,
                "servers_changed",
                format!("server URLs {old:?} -> {new:?}"),
                Severity::Minor,
                "the default base URL of the client changes",
            );
        }
    }

    // -- operations ----------------------------------------------------------

    fn operations(&mut self) {
        let old_ops = operations(self.old);
        let new_ops = operations(self.new);
        for (id, (method, path, _)) in &old_ops {
            if !new_ops.contains_key(id) {
                let ctx = op_ctx(id, method, path);
                self.push(
                    &ctx,
                    "operation_removed",
                    "operation removed".into(),
                    Severity::Breaking,
                    "its client method disappears",
                );
            }
        }
        for (id, (method, path, op)) in &new_ops {
            let ctx = op_ctx(id, method, path);
            let Some((old_method, old_path, old_op)) = old_ops.get(id) else {
                self.push(
                    &ctx,
                    "operation_added",
                    "operation added".into(),
                    Severity::Minor,
                    "a new client method",
                );
                continue;
            };
            if old_method != method || old_path != path {
                self.push(
                    &ctx,
                    "operation_moved",
                    format!("was {old_method} {old_path}"),
                    Severity::Minor,
                    "same method, new endpoint",
                );
            }
            self.operation(&ctx, old_op, op);
        }
    }

    fn operation(&mut self, ctx: &Ctx, old: &Value, new: &Value) {
        let deprecated = |op: &Value| op.get("deprecated") == Some(&Value::Bool(true));
        match (deprecated(old), deprecated(new)) {
            (false, true) => self.push(
                ctx,
                "operation_deprecated",
                "operation deprecated".into(),
                Severity::Minor,
                "the client method gets #[deprecated]: a warning, not an error",
            ),
            (true, false) => self.push(
                ctx,
                "operation_undeprecated",
                "operation no longer deprecated".into(),
                Severity::Patch,
                "a warning goes away",
            ),
            _ => {}
        }
        self.parameters(ctx, old, new);
        self.request_body(ctx, old, new);
        self.responses(ctx, old, new);
        self.operation_security(ctx, old, new);
    }

    fn parameters(&mut self, ctx: &Ctx, old: &Value, new: &Value) {
        let old_params = parameters(self.old, old);
        let new_params = parameters(self.new, new);
        let mut removed: Vec<&(String, String)> = old_params
            .keys()
            .filter(|k| !new_params.contains_key(*k))
            .collect();
        let mut added: Vec<&(String, String)> = new_params
            .keys()
            .filter(|k| !old_params.contains_key(*k))
            .collect();
        let ctx = Ctx {
            role: Role::Request,
            via: via(ctx, Role::Request),
            ..ctx.clone()
        };
        if let ([r], [a]) = (removed.as_slice(), added.as_slice()) {
            let (ro, an) = (&old_params[*r], &new_params[*a]);
            let schema = |p: &Value| p.get("schema").cloned().unwrap_or(json!({}));
            if r.1 == a.1 && self.same(&schema(ro), &schema(an), Role::Request) {
                self.push(
                    &ctx.at(&format!("parameter {} ({})", r.0, r.1)),
                    "parameter_renamed",
                    format!("renamed to `{}`", a.0),
                    Severity::Breaking,
                    "its builder setter is renamed",
                );
                removed.clear();
                added.clear();
            }
        }
        for key in removed {
            self.push(
                &ctx.at(&format!("parameter {} ({})", key.0, key.1)),
                "parameter_removed",
                "parameter removed".into(),
                Severity::Breaking,
                "its builder setter disappears",
            );
        }
        for key in added {
            let required = new_params[key].get("required") == Some(&Value::Bool(true));
            let (severity, reason) = if required {
                (
                    Severity::Breaking,
                    "existing calls do not set it and the builder fails",
                )
            } else {
                (Severity::Minor, "a new optional builder setter")
            };
            self.push(
                &ctx.at(&format!("parameter {} ({})", key.0, key.1)),
                "parameter_added",
                format!(
                    "parameter added, {}",
                    if required { "required" } else { "optional" }
                ),
                severity,
                reason,
            );
        }
        for (key, old_param) in &old_params {
            let Some(new_param) = new_params.get(key) else {
                continue;
            };
            let pctx = ctx.at(&format!("parameter {} ({})", key.0, key.1));
            let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
            match (required(old_param), required(new_param)) {
                (false, true) => self.push(
                    &pctx,
                    "parameter_required",
                    "becomes required".into(),
                    Severity::Breaking,
                    "existing calls that omit it fail",
                ),
                (true, false) => self.push(
                    &pctx,
                    "parameter_optional",
                    "becomes optional".into(),
                    Severity::Minor,
                    "the setter is unchanged; it may now be omitted",
                ),
                _ => {}
            }
            let empty = json!({});
            self.schema(
                &pctx,
                old_param.get("schema").unwrap_or(&empty),
                new_param.get("schema").unwrap_or(&empty),
                &mut Seen::new(),
            );
        }
    }

    fn request_body(&mut self, ctx: &Ctx, old: &Value, new: &Value) {
        let ctx = Ctx {
            role: Role::Request,
            via: via(ctx, Role::Request),
            ..ctx.clone()
        }
        .at("request body");
        let old_body = old.get("requestBody").map(|b| deref(self.old, b));
        let new_body = new.get("requestBody").map(|b| deref(self.new, b));
        let required = |b: &Value| b.get("required") == Some(&Value::Bool(true));
        match (old_body, new_body) {
            (None, None) => {}
            (Some(_), None) => self.push(
                &ctx,
                "request_body_removed",
                "request body removed".into(),
                Severity::Breaking,
                "the builder's body setters disappear",
            ),
            (None, Some(b)) => {
                let (severity, reason) = if required(&b) {
                    (Severity::Breaking, "existing calls do not send it")
                } else {
                    (Severity::Minor, "new optional body setters")
                };
                self.push(
                    &ctx,
                    "request_body_added",
                    "request body added".into(),
                    severity,
                    reason,
                );
            }
            (Some(o), Some(n)) => {
                match (required(&o), required(&n)) {
                    (false, true) => self.push(
                        &ctx,
                        "request_body_required",
                        "becomes required".into(),
                        Severity::Breaking,
                        "existing calls that omit it fail",
                    ),
                    (true, false) => self.push(
                        &ctx,
                        "request_body_optional",
                        "becomes optional".into(),
                        Severity::Patch,
                        "the builder is unchanged",
                    ),
                    _ => {}
                }
                let (om, os) = primary_media(&o, true);
                let (nm, ns) = primary_media(&n, true);
                if om != nm {
                    self.push(
                        &ctx,
                        "request_media_type_changed",
                        format!(
                            "sent as {} instead of {}",
                            nm.as_deref().unwrap_or("nothing"),
                            om.as_deref().unwrap_or("nothing")
                        ),
                        Severity::Minor,
                        "the encoding on the wire changes, the Rust API does not",
                    );
                }
                self.schema(&ctx, &os, &ns, &mut Seen::new());
            }
        }
    }

    fn responses(&mut self, ctx: &Ctx, old: &Value, new: &Value) {
        let ctx = Ctx {
            role: Role::Response,
            via: via(ctx, Role::Response),
            ..ctx.clone()
        };
        let empty = Map::new();
        let responses = |doc: &Value, op: &Value| -> BTreeMap<String, Value> {
            op.get("responses")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
                .iter()
                .map(|(k, v)| (k.clone(), deref(doc, v)))
                .collect()
        };
        let old_r = responses(self.old, old);
        let new_r = responses(self.new, new);
        let success = |s: &str| s.starts_with('2');
        let error = |s: &str| s.starts_with('4') || s.starts_with('5') || s == "default";
        let schema_of = |r: &Value| primary_media(r, false).1;
        let has_content = |r: &Value| {
            r.get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty())
        };

        for (status, o) in &old_r {
            if new_r.contains_key(status) {
                continue;
            }
            let rctx = ctx.at(&format!("response {status}"));
            let os = schema_of(o);
            let (severity, reason) = if success(status) {
                let remains = new_r
                    .iter()
                    .any(|(s, r)| success(s) && self.same(&os, &schema_of(r), Role::Response));
                if remains {
                    (
                        Severity::Minor,
                        "another success status carries the same body",
                    )
                } else {
                    (Severity::Breaking, "the method's return type changes")
                }
            } else if error(status) {
                let remains = new_r
                    .iter()
                    .any(|(s, r)| error(s) && self.same(&os, &schema_of(r), Role::Response));
                if remains || !has_content(o) {
                    (Severity::Minor, "the merged error type keeps its fields")
                } else {
                    (
                        Severity::Breaking,
                        "fields only this error body had leave the merged error type",
                    )
                }
            } else {
                (Severity::Minor, "informational or redirect status")
            };
            self.push(
                &rctx,
                "response_removed",
                "response status removed".into(),
                severity,
                reason,
            );
        }
        for (status, n) in &new_r {
            let rctx = ctx.at(&format!("response {status}"));
            let Some(o) = old_r.get(status) else {
                let ns = schema_of(n);
                let (severity, reason) = if success(status) {
                    let known = old_r
                        .iter()
                        .any(|(s, r)| success(s) && self.same(&schema_of(r), &ns, Role::Response));
                    if known || !has_content(n) {
                        (Severity::Minor, "the return type is unchanged")
                    } else {
                        (
                            Severity::Breaking,
                            "a second success body changes the method's return type",
                        )
                    }
                } else if error(status) {
                    let object = !has_content(n) || {
                        let v = view(self.new, &ns).effective();
                        kind(&v).as_deref() == Some("object")
                    };
                    if object {
                        (
                            Severity::Minor,
                            "the body merges into the operation's error type as optional fields; statuses are numbers, not an enum",
                        )
                    } else {
                        (
                            Severity::Breaking,
                            "a non-object error body turns the merged error type into a union",
                        )
                    }
                } else {
                    (Severity::Minor, "informational or redirect status")
                };
                let what = match ns.get("$ref").and_then(Value::as_str) {
                    Some(r) => format!(
                        "response status added with schema {}",
                        r.rsplit('/').next().unwrap_or(r)
                    ),
                    None if has_content(n) => "response status added with an inline schema".into(),
                    None => "response status added without a body".into(),
                };
                self.push(&rctx, "response_added", what, severity, reason);
                continue;
            };
            let (om, os) = primary_media(o, false);
            let (nm, ns) = primary_media(n, false);
            if om != nm {
                self.push(
                    &rctx,
                    "response_media_type_changed",
                    format!(
                        "body is {} instead of {}",
                        nm.as_deref().unwrap_or("empty"),
                        om.as_deref().unwrap_or("empty")
                    ),
                    Severity::Breaking,
                    "the Rust type of the body changes (typed value, bytes or nothing)",
                );
                continue;
            }
            self.schema(&rctx, &os, &ns, &mut Seen::new());
        }
    }

    fn operation_security(&mut self, ctx: &Ctx, old: &Value, new: &Value) {
        let old_s = security(self.old, old);
        let new_s = security(self.new, new);
        if old_s == new_s {
            return;
        }
        let ctx = ctx.at("security");
        let show = |s: &BTreeSet<BTreeSet<String>>| {
            if s.is_empty() {
                "none".to_string()
            } else {
                s.iter()
                    .map(|r| r.iter().cloned().collect::<Vec<_>>().join("+"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        };
        let (kind, reason) = if old_s.is_empty() {
            (
                "security_added",
                "the client now attaches the token; the server enforces this whatever the SDK version",
            )
        } else if new_s.is_empty() {
            ("security_removed", "the client stops attaching the token")
        } else {
            (
                "security_changed",
                "the client attaches credentials per the new requirement",
            )
        };
        self.push(
            &ctx,
            kind,
            format!("{} -> {}", show(&old_s), show(&new_s)),
            Severity::Minor,
            reason,
        );
    }

    fn security_schemes(&mut self) {
        let schemes = |d: &Value| -> Map<String, Value> {
            d.pointer("/components/securitySchemes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (schemes(self.old), schemes(self.new));
        for (name, o) in &old {
            let ctx = Ctx {
                subject: Subject::Security {
                    scheme: name.clone(),
                },
                location: String::new(),
                role: Role::Request,
                via: String::new(),
            };
            let Some(n) = new.get(name) else {
                self.push(
                    &ctx,
                    "security_scheme_removed",
                    "security scheme removed".into(),
                    Severity::Breaking,
                    "the token manager's login flow no longer exists",
                );
                continue;
            };
            if o.get("type") != n.get("type") || o.get("scheme") != n.get("scheme") {
                self.push(
                    &ctx,
                    "security_scheme_type_changed",
                    format!(
                        "type {} -> {}",
                        compact(o.get("type").unwrap_or(&Value::Null)),
                        compact(n.get("type").unwrap_or(&Value::Null))
                    ),
                    Severity::Breaking,
                    "the hand-written token manager must follow",
                );
                continue;
            }
            let flows = |s: &Value| -> Map<String, Value> {
                s.get("flows")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            };
            let (of, nf) = (flows(o), flows(n));
            for (flow, ov) in &of {
                let fctx = Ctx {
                    location: format!("flow {flow}"),
                    ..ctx.clone()
                };
                let Some(nv) = nf.get(flow) else {
                    self.push(
                        &fctx,
                        "security_flow_removed",
                        "flow removed".into(),
                        Severity::Breaking,
                        "the token manager uses it",
                    );
                    continue;
                };
                for url in ["tokenUrl", "refreshUrl", "authorizationUrl"] {
                    if ov.get(url) != nv.get(url) {
                        self.push(
                            &fctx,
                            "security_url_changed",
                            format!(
                                "{url} {} -> {}",
                                compact(ov.get(url).unwrap_or(&Value::Null)),
                                compact(nv.get(url).unwrap_or(&Value::Null))
                            ),
                            Severity::Breaking,
                            "the token manager must call the new endpoint",
                        );
                    }
                }
                let scopes = |v: &Value| -> BTreeSet<String> {
                    v.get("scopes")
                        .and_then(Value::as_object)
                        .map(|s| s.keys().cloned().collect())
                        .unwrap_or_default()
                };
                let (os, ns) = (scopes(ov), scopes(nv));
                for s in os.difference(&ns) {
                    self.push(
                        &fctx,
                        "scope_removed",
                        format!("scope `{s}` removed"),
                        Severity::Breaking,
                        "callers requesting it are refused",
                    );
                }
                for s in ns.difference(&os) {
                    self.push(
                        &fctx,
                        "scope_added",
                        format!("scope `{s}` added"),
                        Severity::Patch,
                        "nothing in the client changes",
                    );
                }
            }
            for flow in nf.keys().filter(|f| !of.contains_key(*f)) {
                let fctx = Ctx {
                    location: format!("flow {flow}"),
                    ..ctx.clone()
                };
                self.push(
                    &fctx,
                    "security_flow_added",
                    "flow added".into(),
                    Severity::Minor,
                    "an additional way to authenticate",
                );
            }
        }
        for name in new.keys().filter(|n| !old.contains_key(*n)) {
            let ctx = Ctx {
                subject: Subject::Security {
                    scheme: name.clone(),
                },
                location: String::new(),
                role: Role::Request,
                via: String::new(),
            };
            self.push(
                &ctx,
                "security_scheme_added",
                "security scheme added".into(),
                Severity::Minor,
                "operations may start to require it",
            );
        }
    }

    // -- schemas -------------------------------------------------------------

    fn schema(&mut self, ctx: &Ctx, old: &Value, new: &Value, seen: &mut Seen) {
        let o = view(self.old, old);
        let n = view(self.new, new);
        match (&o.name, &n.name) {
            (Some(a), Some(b)) => {
                // Keys beside the reference belong to the referring place.
                self.keywords(ctx, &o.overlay, &n.overlay);
                if a != b {
                    self.push(
                        ctx,
                        "schema_replaced",
                        format!("refers to schema {b} instead of {a}"),
                        Severity::Breaking,
                        "the Rust type is renamed",
                    );
                }
                if !seen.insert((a.clone(), b.clone())) {
                    return;
                }
                let inner = Ctx {
                    subject: Subject::Schema { name: b.clone() },
                    location: String::new(),
                    ..ctx.clone()
                };
                self.body(&inner, &o.body, &n.body, seen);
            }
            _ => self.body(ctx, &o.effective(), &n.effective(), seen),
        }
    }

    /// `default` and `nullable`, wherever they are written.
    fn keywords(&mut self, ctx: &Ctx, old: &Map<String, Value>, new: &Map<String, Value>) {
        let nullable = |m: &Map<String, Value>| m.get("nullable") == Some(&Value::Bool(true));
        if nullable(old) != nullable(new) {
            self.push(
                ctx,
                if nullable(new) {
                    "nullable_added"
                } else {
                    "nullable_removed"
                },
                if nullable(new) {
                    "becomes nullable".into()
                } else {
                    "no longer nullable".into()
                },
                Severity::Breaking,
                "the Rust type changes between T and Option<T>",
            );
        }
        match (old.get("default"), new.get("default")) {
            (Some(a), Some(b)) if a != b => self.push(
                ctx,
                "default_changed",
                format!("default {} -> {}", compact(a), compact(b)),
                Severity::Minor,
                "omitted values mean something else",
            ),
            (None, Some(b)) => self.push(
                ctx,
                "default_added",
                format!("default {} added", compact(b)),
                Severity::Minor,
                "omitted values get a value",
            ),
            (Some(a), None) => self.push(
                ctx,
                "default_removed",
                format!("default {} removed", compact(a)),
                Severity::Minor,
                "omitted values no longer get a value",
            ),
            _ => {}
        }
    }

    fn body(&mut self, ctx: &Ctx, old: &Value, new: &Value, seen: &mut Seen) {
        let empty = Map::new();
        let om = old.as_object().unwrap_or(&empty);
        let nm = new.as_object().unwrap_or(&empty);
        self.keywords(ctx, om, nm);
        let (ok, nk) = (kind(old), kind(new));
        if ok != nk {
            let show = |k: &Option<String>| k.clone().unwrap_or_else(|| "any value".into());
            self.push(
                ctx,
                "type_changed",
                format!("type {} -> {}", show(&ok), show(&nk)),
                Severity::Breaking,
                "the Rust type changes",
            );
            return;
        }
        let (of, nf) = (om.get("format"), nm.get("format"));
        if of != nf {
            let typed = |f: Option<&Value>| {
                f.and_then(Value::as_str)
                    .is_some_and(|f| TYPED_FORMATS.contains(&f))
            };
            let (severity, reason) = if typed(of) || typed(nf) {
                (Severity::Breaking, "the Rust type changes with the format")
            } else {
                (Severity::Patch, "the Rust type stays the same")
            };
            let show = |f: Option<&Value>| f.map_or("none".to_string(), compact);
            self.push(
                ctx,
                "format_changed",
                format!("format {} -> {}", show(of), show(nf)),
                severity,
                reason,
            );
        }
        self.enums(ctx, om.get("enum"), nm.get("enum"));
        if ok.as_deref() == Some("string") {
            let constrained =
                |m: &Map<String, Value>| STRING_CONSTRAINTS.iter().any(|k| m.contains_key(*k));
            if constrained(om) != constrained(nm) {
                self.push(
                    ctx,
                    "string_constraints_changed",
                    if constrained(nm) {
                        "gains a pattern or length limit".into()
                    } else {
                        "loses its pattern and length limits".into()
                    },
                    Severity::Breaking,
                    "typify switches between String and a validating newtype",
                );
            } else {
                for key in STRING_CONSTRAINTS {
                    if om.get(*key) != nm.get(*key) {
                        self.push(
                            ctx,
                            "constraint_changed",
                            format!(
                                "{key} {} -> {}",
                                compact(om.get(*key).unwrap_or(&Value::Null)),
                                compact(nm.get(*key).unwrap_or(&Value::Null))
                            ),
                            Severity::Minor,
                            "the same newtype validates differently",
                        );
                    }
                }
            }
        }
        match ok.as_deref() {
            Some("object") => self.object(ctx, om, nm, seen),
            Some("array") => {
                let any = json!({});
                self.schema(
                    &ctx.at("[]"),
                    om.get("items").unwrap_or(&any),
                    nm.get("items").unwrap_or(&any),
                    seen,
                );
            }
            _ => {}
        }
        self.unions(ctx, om, nm, seen);
    }

    fn enums(&mut self, ctx: &Ctx, old: Option<&Value>, new: Option<&Value>) {
        let values = |v: Option<&Value>| v.and_then(Value::as_array).cloned();
        match (values(old), values(new)) {
            (None, None) => {}
            (Some(_), None) => self.push(
                ctx,
                "enum_removed",
                "no longer an enumeration".into(),
                Severity::Breaking,
                "the Rust enum becomes a plain type",
            ),
            (None, Some(_)) => self.push(
                ctx,
                "enum_added",
                "becomes an enumeration".into(),
                Severity::Breaking,
                "the plain type becomes a Rust enum",
            ),
            (Some(o), Some(n)) => {
                for v in o.iter().filter(|v| !n.contains(v)) {
                    self.push(
                        ctx,
                        "enum_value_removed",
                        format!("enum value {} removed", compact(v)),
                        Severity::Breaking,
                        "its Rust variant disappears",
                    );
                }
                for v in n.iter().filter(|v| !o.contains(v)) {
                    let (severity, reason) = match ctx.role {
                        Role::Request => (Severity::Minor, "a new variant callers may send"),
                        Role::Response => (
                            Severity::Breaking,
                            "a new variant: exhaustive matches on the received value stop compiling",
                        ),
                    };
                    self.push(
                        ctx,
                        "enum_value_added",
                        format!("enum value {} added", compact(v)),
                        severity,
                        reason,
                    );
                }
            }
        }
    }

    fn object(
        &mut self,
        ctx: &Ctx,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        seen: &mut Seen,
    ) {
        let empty = Map::new();
        let props = |m: &Map<String, Value>| {
            m.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let (op, np) = (props(old), props(new));
        let struct_like = |m: &Map<String, Value>| m.contains_key("properties");
        if struct_like(old) != struct_like(new) {
            self.push(
                ctx,
                "object_shape_changed",
                if struct_like(new) {
                    "free-form object gets declared fields".into()
                } else {
                    "object loses its declared fields (free-form)".into()
                },
                Severity::Breaking,
                "the Rust type changes between a struct and a map",
            );
            return;
        }
        let o_obj = Value::Object(old.clone());
        let n_obj = Value::Object(new.clone());
        let (or, nr) = (required_set(&o_obj), required_set(&n_obj));
        let mut removed: Vec<&String> = op.keys().filter(|k| !np.contains_key(*k)).collect();
        let mut added: Vec<&String> = np.keys().filter(|k| !op.contains_key(*k)).collect();
        if let ([r], [a]) = (removed.as_slice(), added.as_slice())
            && self.same(&op[*r], &np[*a], ctx.role)
        {
            self.push(
                &ctx.field(r),
                "field_renamed",
                format!("renamed to `{a}`"),
                Severity::Breaking,
                "the Rust field is renamed",
            );
            removed.clear();
            added.clear();
        }
        for name in removed {
            let reason = match ctx.role {
                Role::Request => "its builder setter and struct field disappear",
                Role::Response => "code reading the field stops compiling",
            };
            self.push(
                &ctx.field(name),
                "field_removed",
                "field removed".into(),
                Severity::Breaking,
                reason,
            );
        }
        for name in added {
            let required = nr.contains(name);
            let has_default = view(self.new, &np[name]).get("default").is_some();
            let (severity, reason) = match (ctx.role, required, has_default) {
                (Role::Request, true, false) => (
                    Severity::Breaking,
                    "a new required request field: existing builders fail without it",
                ),
                (Role::Request, _, _) => {
                    (Severity::Minor, "a new builder setter; omitting it is fine")
                }
                (Role::Response, _, _) => (
                    Severity::Minor,
                    "a new field readers may use; existing code keeps compiling",
                ),
            };
            self.push(
                &ctx.field(name),
                "field_added",
                format!(
                    "field added, {}",
                    if required { "required" } else { "optional" }
                ),
                severity,
                reason,
            );
        }
        for (name, os) in &op {
            let Some(ns) = np.get(name) else { continue };
            let fctx = ctx.field(name);
            self.schema(&fctx, os, ns, seen);
            let (ro, rn) = (or.contains(name), nr.contains(name));
            let shape = |doc: &Value, s: &Value, required: bool| {
                required || view(doc, s).get("default").is_some()
            };
            let (so, sn) = (shape(self.old, os, ro), shape(self.new, ns, rn));
            if so != sn {
                self.push(
                    &fctx,
                    "field_option_changed",
                    if sn {
                        "becomes required or defaulted: Option<T> -> T".into()
                    } else {
                        "becomes optional: T -> Option<T>".into()
                    },
                    Severity::Breaking,
                    "the Rust field type changes",
                );
            } else if ro != rn {
                let (severity, reason) = match (ctx.role, rn) {
                    (Role::Request, true) => (
                        Severity::Breaking,
                        "existing calls that omit it are refused",
                    ),
                    _ => (Severity::Minor, "the Rust field type is unchanged"),
                };
                self.push(
                    &fctx,
                    if rn {
                        "field_required"
                    } else {
                        "field_optional"
                    },
                    if rn {
                        "becomes required".into()
                    } else {
                        "becomes optional".into()
                    },
                    severity,
                    reason,
                );
            }
        }
        let extra = |m: &Map<String, Value>| m.get("additionalProperties").cloned();
        match (extra(old), extra(new)) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => {
                self.schema(&ctx.at("additional properties"), &a, &b, seen);
            }
            (a, b) => {
                let free = |v: &Option<Value>| v.as_ref().is_some_and(|v| v != &json!(false));
                if !struct_like(new) && free(&a) != free(&b) {
                    self.push(
                        ctx,
                        "additional_properties_changed",
                        format!(
                            "additionalProperties {} -> {}",
                            a.as_ref().map_or("absent".into(), compact),
                            b.as_ref().map_or("absent".into(), compact)
                        ),
                        Severity::Breaking,
                        "the Rust map type changes",
                    );
                }
            }
        }
    }

    fn unions(
        &mut self,
        ctx: &Ctx,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        seen: &mut Seen,
    ) {
        let members = |m: &Map<String, Value>| -> Option<(&'static str, Vec<Value>)> {
            for key in ["oneOf", "anyOf"] {
                if let Some(Value::Array(v)) = m.get(key) {
                    return Some((key, v.clone()));
                }
            }
            None
        };
        let (Some((ok, om)), Some((nk, nm))) = (members(old), members(new)) else {
            if members(old).is_some() != members(new).is_some() {
                self.push(
                    ctx,
                    "union_changed",
                    "becomes or stops being a union".into(),
                    Severity::Breaking,
                    "the Rust type changes",
                );
            }
            return;
        };
        if ok != nk {
            self.push(
                ctx,
                "union_kind_changed",
                format!("{ok} -> {nk}"),
                Severity::Breaking,
                "the Rust type changes between a struct of options and an enum",
            );
        }
        let name = |doc: &Value, s: &Value| view(doc, s).name;
        let mut matched_new = BTreeSet::new();
        for (i, o) in om.iter().enumerate() {
            let on = name(self.old, o);
            let j = (0..nm.len()).find(|j| {
                !matched_new.contains(j)
                    && match &on {
                        Some(on) => name(self.new, &nm[*j]).as_ref() == Some(on),
                        None => self.same(o, &nm[*j], ctx.role),
                    }
            });
            let j = j.or_else(|| {
                (on.is_none()
                    && i < nm.len()
                    && !matched_new.contains(&i)
                    && name(self.new, &nm[i]).is_none())
                .then_some(i)
            });
            let label = on.clone().unwrap_or_else(|| format!("#{i}"));
            match j {
                Some(j) => {
                    matched_new.insert(j);
                    self.schema(&ctx.at(&format!("{ok} member {label}")), o, &nm[j], seen);
                }
                None => self.push(
                    ctx,
                    "union_member_removed",
                    format!("{ok} member {label} removed"),
                    Severity::Breaking,
                    "its Rust variant or field disappears",
                ),
            }
        }
        for (j, n) in nm.iter().enumerate() {
            if matched_new.contains(&j) {
                continue;
            }
            let label = name(self.new, n).unwrap_or_else(|| format!("#{j}"));
            let (severity, reason) = match ctx.role {
                Role::Request => (Severity::Minor, "a new alternative callers may send"),
                Role::Response => (
                    Severity::Breaking,
                    "a new variant: exhaustive matches stop compiling",
                ),
            };
            self.push(
                ctx,
                "union_member_added",
                format!("{nk} member {label} added"),
                severity,
                reason,
            );
        }
    }
}

fn op_ctx(id: &str, method: &str, path: &str) -> Ctx {
    Ctx {
        subject: Subject::Operation {
            id: id.to_string(),
            method: method.to_string(),
            path: path.to_string(),
        },
        location: String::new(),
        role: Role::Request,
        via: String::new(),
    }
}

fn via(ctx: &Ctx, role: Role) -> String {
    match &ctx.subject {
        Subject::Operation { id, .. } => format!("{id} {}", role.name()),
        _ => String::new(),
    }
}

/// Operations by operationId (or `METHOD path`): `(METHOD, path, operation)`,
/// with the path item's parameters folded into the operation.
fn operations(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    let mut out = BTreeMap::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(op) = item.get(method).filter(|o| o.is_object()) else {
                continue;
            };
            let method = method.to_uppercase();
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{method} {path}"));
            let mut op = op.clone();
            if let Some(shared) = item.get("parameters").and_then(Value::as_array) {
                let mut params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                params.extend(shared.iter().cloned());
                if let Some(map) = op.as_object_mut() {
                    map.insert("parameters".into(), Value::Array(params));
                }
            }
            out.insert(id, (method, path.clone(), op));
        }
    }
    out
}

/// Parameters by `(name, in)`, references resolved; the operation's own come
/// first and win over the path item's.
fn parameters(doc: &Value, op: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = deref(doc, p);
        let (Some(name), Some(location)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        out.entry((name.to_string(), location.to_string()))
            .or_insert(p.clone());
    }
    out
}

/// A non-schema object (parameter, body, response) with its `$ref` followed.
fn deref(doc: &Value, value: &Value) -> Value {
    let mut current = value.clone();
    for _ in 0..MAX_DEPTH {
        let Some(target) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
        else {
            break;
        };
        current = target.clone();
    }
    current
}

/// The media type the generator uses and its schema: JSON first, then (for
/// requests) form-urlencoded, else the first offered.
fn primary_media(holder: &Value, request: bool) -> (Option<String>, Value) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return (None, json!({}));
    };
    let mut preferred = vec!["application/json"];
    if request {
        preferred.push("application/x-www-form-urlencoded");
    }
    let media = preferred
        .into_iter()
        .find(|m| content.contains_key(*m))
        .map(str::to_string)
        .or_else(|| content.keys().next().cloned());
    let schema = media
        .as_ref()
        .and_then(|m| content.get(m))
        .and_then(|m| m.get("schema"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    (media, schema)
}

/// The alternatives of an operation's effective security requirement, each a
/// set of scheme names (scopes left out: the client sends one token).
fn security(doc: &Value, op: &Value) -> BTreeSet<BTreeSet<String>> {
    op.get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|r| r.keys().cloned().collect::<BTreeSet<String>>())
        .filter(|r| !r.is_empty())
        .collect()
}
