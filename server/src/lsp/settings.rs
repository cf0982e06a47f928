//! Settings from `initializationOptions` and `workspace/didChangeConfiguration`:
//! `{"kerasLsp": {"inlayHints": {"enabled": bool, "showDefaults": bool}, "keras": "auto"|"2"|"3",
//! "exclude": [folder names], "maxFileSize": bytes, "diagnostics": {"select": [codes],
//! "ignore": [codes]}}}` (the `kerasLsp` wrapper is optional).

use super::Backend;
use crate::index;
use crate::knowledge::KerasVersion;
use serde_json::Value;
use std::sync::PoisonError;
use tower_lsp::lsp_types::*;

/// Applies a settings object; returns `true` when answers may have changed.
pub fn apply(b: &Backend, v: &Value) -> bool {
    let v = v
        .get("kerasLsp")
        .or_else(|| v.get("keras_lsp"))
        .unwrap_or(v);
    let mut changed = false;
    if let Some(h) = v.get("inlayHints") {
        if let Some(e) = h.get("enabled").and_then(Value::as_bool) {
            *b.state
                .hints_enabled
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(e);
            changed = true;
        }
        if let Some(d) = h.get("showDefaults").and_then(Value::as_bool) {
            b.state.update(|ws| ws.settings.show_defaults = d);
            changed = true;
        }
    }
    if let Some(k) = v.get("keras").and_then(|k| {
        k.as_str()
            .map(String::from)
            .or_else(|| k.as_i64().map(|i| i.to_string()))
    }) {
        *b.state
            .keras_setting
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = k.clone();
        let version = resolve_keras(b, &k);
        b.state.update(|ws| ws.settings.keras = version);
        changed = true;
    }
    if let Some(ex) = v.get("exclude").and_then(Value::as_array) {
        let mut w = b.state.walk.lock().unwrap_or_else(PoisonError::into_inner);
        w.excludes = index::DEFAULT_EXCLUDES
            .iter()
            .map(|s| s.to_string())
            .collect();
        w.excludes
            .extend(ex.iter().filter_map(Value::as_str).map(String::from));
    }
    if let Some(d) = v.get("diagnostics") {
        let codes = |key: &str| -> Option<Vec<crate::ide::diagnostics::Code>> {
            let list = d.get(key)?.as_array()?;
            Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|s| {
                        let c = crate::ide::diagnostics::Code::parse(s);
                        if c.is_none() {
                            tracing::warn!("kerasLsp.diagnostics.{key}: unknown code '{s}'");
                        }
                        c
                    })
                    .collect(),
            )
        };
        let mut sel = b
            .state
            .diag_selection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = codes("select") {
            sel.select = s;
            changed = true;
        }
        if let Some(i) = codes("ignore") {
            sel.ignore = i;
            changed = true;
        }
    }
    if let Some(m) = v.get("maxFileSize").and_then(Value::as_u64) {
        b.state
            .walk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .max_file_size = m;
    }
    changed
}

/// `auto` reads the workspace's virtualenv; defaults to Keras 3.
pub fn resolve_keras(b: &Backend, setting: &str) -> KerasVersion {
    match setting {
        "2" => KerasVersion::Keras2,
        "3" => KerasVersion::Keras3,
        _ => b
            .state
            .roots()
            .iter()
            .find_map(|r| index::detect_keras(r, None))
            .unwrap_or(KerasVersion::Keras3),
    }
}

pub async fn did_change_configuration(b: &Backend, p: DidChangeConfigurationParams) {
    if apply(b, &p.settings) {
        super::precompute::schedule(b, super::precompute::AFTER_OPEN, None);
        super::diagnostics::schedule(b);
        super::inlay_hint_refresh::schedule(b);
    }
}
