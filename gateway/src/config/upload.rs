//! `[upload]` (Mongrel2's `upload.temp_store` / `upload.temp_store_mode`) and the per-route flow
//! keys (`upload_stream`, `download_credits`, `max_output_bytes`, `slow_client`): where large
//! request bodies are spooled, and how replies are paced for slow clients.

use std::path::PathBuf;

use serde::Deserialize;

use super::check::{self, field};
use super::limits::{DEFAULT_TEMP_STORE_MODE, MAX_TEMP_STORE_BYTES, TEMP_STORE_SUFFIX};
use super::Error;

/// `[upload]` as serde reads it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpload {
    pub temp_store: Option<String>,
    pub temp_store_mode: Option<String>,
    pub cleanup: Option<String>,
}

/// Where bodies larger than `inline_body_bytes` (or chunked) are spooled before the handler is
/// told (`x-mongrel2-upload-start` / `-done`). Without it such bodies get 413, as in Mongrel2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStore {
    /// The `mkstemp` template: a path ending in [`TEMP_STORE_SUFFIX`].
    pub template: PathBuf,
    /// Permission bits of each temp file.
    pub mode: u32,
    /// When Scale0 deletes a temp file the handler was told about.
    pub cleanup: Cleanup,
}

/// Temp-file cleanup policy (`upload.cleanup`). Failed uploads (handler close, client gone,
/// deadline, 413) are always deleted; this decides the fate of completed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    /// Delete when the exchange ends (reply forwarded or failed): no file outlives its request,
    /// so a disk cannot fill with forgotten uploads. A handler that wants to keep the file moves
    /// it (same filesystem rename) before replying. The default.
    AfterReply,
    /// Never delete a completed upload: Mongrel2's behaviour (the handler must).
    Never,
}

/// What to do when a client reads its replies slower than the handler writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowClient {
    /// Drop the client once `max_output_bytes` are waiting (Mongrel2's write-queue overflow: no
    /// notice to the handler). The default.
    Drop,
    /// Pace the handler with download credits (`download_credits` must be on): a handler that
    /// waits for its credits never overflows; one that ignores them is still dropped at
    /// `max_output_bytes` (a SUB socket cannot be paced per connection).
    Pace,
}

impl UploadStore {
    /// Validates `[upload]`; `None` when no `temp_store` is set.
    pub(crate) fn from_raw(raw: &RawUpload) -> Result<Option<UploadStore>, Error> {
        let mode = match &raw.temp_store_mode {
            None => DEFAULT_TEMP_STORE_MODE,
            Some(text) => parse_mode(text).ok_or_else(|| {
                check::invalid(
                    field("upload", "temp_store_mode"),
                    text,
                    "must be an octal mode such as \"0600\"",
                )
            })?,
        };
        let cleanup = match raw.cleanup.as_deref() {
            None | Some("after_reply") => Cleanup::AfterReply,
            Some("never") => Cleanup::Never,
            Some(other) => {
                return Err(check::invalid(
                    field("upload", "cleanup"),
                    other,
                    "must be \"after_reply\" or \"never\"",
                ))
            }
        };
        let Some(template) = &raw.temp_store else {
            return Ok(None);
        };
        let key = field("upload", "temp_store");
        let template = check::text(key.clone(), template, MAX_TEMP_STORE_BYTES)?;
        let name_ok = template
            .rsplit('/')
            .next()
            .is_some_and(|name| name.len() > TEMP_STORE_SUFFIX.len());
        if !template.ends_with(TEMP_STORE_SUFFIX) || !name_ok || !template.starts_with('/') {
            return Err(check::invalid(
                key,
                &template,
                "must be an absolute path whose file name ends in XXXXXX after a prefix",
            ));
        }
        Ok(Some(UploadStore {
            template: PathBuf::from(template),
            mode,
            cleanup,
        }))
    }
}

/// Validates `[upload]` and the flow keys across `[defaults]` and every route:
/// `slow_client = "pace"` needs `download_credits = true` (pacing is done by credits).
pub(crate) fn check(
    raw: Option<&RawUpload>,
    defaults: &super::RouteSettings,
    hosts: &[super::Host],
) -> Result<Option<UploadStore>, Error> {
    let routes = hosts.iter().flat_map(|host| {
        host.routes.iter().map(move |route| {
            (
                format!("host {:?} route {:?}", host.name, route.path.as_str()),
                &route.settings,
            )
        })
    });
    for (scope, settings) in std::iter::once(("defaults".to_owned(), defaults)).chain(routes) {
        if settings.slow_client == SlowClient::Pace && !settings.download_credits {
            return Err(check::invalid(
                field(&scope, "slow_client"),
                "pace",
                "pacing works through download credits: set download_credits = true",
            ));
        }
    }
    raw.map_or(Ok(None), UploadStore::from_raw)
}

/// `"0600"`-style octal text: 1 to 4 octal digits, at most `0o7777`.
fn parse_mode(text: &str) -> Option<u32> {
    let ok = (1..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    ok.then(|| u32::from_str_radix(text, 8).ok()).flatten()
}

/// `slow_client`: `"drop"` or `"pace"`.
pub(crate) fn slow_client(
    scope: &str,
    value: Option<&String>,
    base: SlowClient,
) -> Result<SlowClient, Error> {
    match value.map(String::as_str) {
        None => Ok(base),
        Some("drop") => Ok(SlowClient::Drop),
        Some("pace") => Ok(SlowClient::Pace),
        Some(other) => Err(check::invalid(
            field(scope, "slow_client"),
            other,
            "must be \"drop\" or \"pace\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(temp_store: Option<&str>, mode: Option<&str>) -> RawUpload {
        RawUpload {
            temp_store: temp_store.map(str::to_owned),
            temp_store_mode: mode.map(str::to_owned),
            cleanup: None,
        }
    }

    #[test]
    fn no_temp_store_means_no_upload_store() {
        assert_eq!(UploadStore::from_raw(&raw(None, None)).unwrap(), None);
    }

    #[test]
    fn a_template_takes_mongrel2s_default_mode() {
        let store = UploadStore::from_raw(&raw(Some("/tmp/up.XXXXXX"), None))
            .unwrap()
            .unwrap();
        assert_eq!(store.mode, 0o600);
        assert_eq!(store.cleanup, Cleanup::AfterReply);
    }

    #[test]
    fn templates_without_the_suffix_or_relative_are_rejected() {
        for bad in ["/tmp/up", "tmp/up.XXXXXX", "/tmp/XXXXXX"] {
            let err = UploadStore::from_raw(&raw(Some(bad), None)).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { ref field, .. } if field == "upload.temp_store"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn modes_are_octal_text() {
        assert_eq!(parse_mode("0644"), Some(0o644));
        assert_eq!(parse_mode("600"), Some(0o600));
        for bad in ["", "0689", "07777x", "77777"] {
            assert_eq!(parse_mode(bad), None, "{bad}");
        }
    }

    use crate::config::tests::MINIMAL as CONFIG;

    #[test]
    fn pacing_without_download_credits_is_rejected_and_the_keys_reach_the_routes() {
        let bad = format!("{CONFIG}[defaults]\nslow_client = \"pace\"\n");
        let err = crate::config::Config::from_toml_str(&bad).unwrap_err();
        assert!(
            matches!(err, Error::Invalid { ref field, .. } if field == "defaults.slow_client"),
            "{err}"
        );
        let good = format!(
            "{CONFIG}[defaults]\nslow_client = \"pace\"\ndownload_credits = true\n\
             upload_stream = true\nmax_output_bytes = \"1MiB\"\n[upload]\n\
             temp_store = \"/tmp/up.XXXXXX\"\ncleanup = \"never\"\n"
        );
        let config = crate::config::Config::from_toml_str(&good).unwrap();
        let settings = config.hosts[0].routes[0].settings;
        assert_eq!(settings.slow_client, SlowClient::Pace);
        assert!(settings.download_credits && settings.upload_stream);
        assert_eq!(settings.max_output_bytes, 1 << 20);
        assert_eq!(config.upload.unwrap().cleanup, Cleanup::Never);
    }

    #[test]
    fn slow_client_is_drop_or_pace() {
        let pace = "pace".to_owned();
        assert_eq!(
            slow_client("defaults", Some(&pace), SlowClient::Drop).unwrap(),
            SlowClient::Pace
        );
        let bad = "wait".to_owned();
        assert!(slow_client("defaults", Some(&bad), SlowClient::Drop).is_err());
    }
}
