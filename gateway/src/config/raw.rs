//! The config file exactly as serde reads it: every key optional where the schema has a default,
//! every value still a string or number, unknown keys rejected. `validate` turns this into
//! [`Config`](super::Config); nothing else reads these types.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub gateway: RawGateway,
    #[serde(default, rename = "listener")]
    pub listeners: Vec<RawListener>,
    #[serde(default)]
    pub defaults: RawSettings,
    #[serde(default, rename = "host")]
    pub hosts: Vec<RawHost>,
    #[serde(default, rename = "target")]
    pub targets: BTreeMap<String, RawTarget>,
    pub broker: Option<RawBroker>,
    #[serde(default)]
    pub mimetypes: BTreeMap<String, String>,
    pub upload: Option<super::upload::RawUpload>,
}

/// `[gateway]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGateway {
    pub sender_id: Option<String>,
    pub worker_threads: Option<u64>,
    pub access_log: Option<String>,
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    pub shutdown_grace: Option<String>,
    pub control_port: Option<String>,
}

/// One `[[listener]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawListener {
    pub bind: String,
    pub proxy_protocol: Option<bool>,
    pub max_connections: Option<u64>,
    pub http2: Option<bool>,
    pub header_read_timeout: Option<String>,
    pub keepalive_timeout: Option<String>,
    pub send_timeout: Option<String>,
    pub max_header_bytes: Option<RawSize>,
    pub max_headers: Option<u64>,
}

/// `[defaults]`, and the overrides a route may carry.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    pub reply_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub max_body_bytes: Option<RawSize>,
    pub inline_body_bytes: Option<RawSize>,
    pub retry_after: Option<String>,
    pub retryable: Option<bool>,
    pub upload_stream: Option<bool>,
    pub download_credits: Option<bool>,
    pub max_output_bytes: Option<RawSize>,
    pub slow_client: Option<String>,
    pub websocket_max_frame_bytes: Option<RawSize>,
    pub websocket_max_message_bytes: Option<RawSize>,
    pub websocket_idle_timeout: Option<String>,
}

/// One `[[host]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHost {
    pub name: String,
    pub matching: Option<String>,
    pub default: Option<bool>,
    #[serde(default, rename = "route")]
    pub routes: Vec<RawRoute>,
}

/// One `[[host.route]]`: the settings keys are spelled out because serde's `flatten` cannot be
/// combined with `deny_unknown_fields`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub path: String,
    pub target: String,
    pub reply_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub max_body_bytes: Option<RawSize>,
    pub inline_body_bytes: Option<RawSize>,
    pub retry_after: Option<String>,
    pub retryable: Option<bool>,
    pub upload_stream: Option<bool>,
    pub download_credits: Option<bool>,
    pub max_output_bytes: Option<RawSize>,
    pub slow_client: Option<String>,
    pub websocket_max_frame_bytes: Option<RawSize>,
    pub websocket_max_message_bytes: Option<RawSize>,
    pub websocket_idle_timeout: Option<String>,
}

impl RawRoute {
    /// The route's overrides of `[defaults]`.
    pub fn settings(&self) -> RawSettings {
        RawSettings {
            reply_timeout: self.reply_timeout.clone(),
            idle_timeout: self.idle_timeout.clone(),
            max_body_bytes: self.max_body_bytes.clone(),
            inline_body_bytes: self.inline_body_bytes.clone(),
            retry_after: self.retry_after.clone(),
            retryable: self.retryable,
            upload_stream: self.upload_stream,
            download_credits: self.download_credits,
            max_output_bytes: self.max_output_bytes.clone(),
            slow_client: self.slow_client.clone(),
            websocket_max_frame_bytes: self.websocket_max_frame_bytes.clone(),
            websocket_max_message_bytes: self.websocket_max_message_bytes.clone(),
            websocket_idle_timeout: self.websocket_idle_timeout.clone(),
        }
    }
}

/// One `[target.NAME]`, chosen by its `type` key.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum RawTarget {
    Handler(RawHandler),
    Service(RawService),
    Dir(RawDir),
    Proxy(RawProxy),
}

/// `type = "handler"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHandler {
    pub send_spec: String,
    pub send_ident: Option<String>,
    pub recv_spec: String,
    pub recv_ident: Option<String>,
    pub protocol: Option<String>,
    pub raw_payload: Option<bool>,
}

/// `type = "service"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub service: String,
}

/// `type = "dir"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDir {
    pub base: String,
    pub index_file: Option<String>,
    pub default_ctype: Option<String>,
}

/// `type = "proxy"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProxy {
    pub url: String,
    pub preserve_host: Option<bool>,
    pub connect_timeout: Option<String>,
    pub max_idle_per_host: Option<u64>,
    pub pool_idle_timeout: Option<String>,
}

/// `[broker]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBroker {
    pub embedded: Option<bool>,
    pub workers: Option<String>,
    pub control: Option<String>,
    pub endpoint: Option<String>,
    pub heartbeat_interval: Option<String>,
    pub liveness: Option<u64>,
    pub max_queue: Option<u64>,
    pub transport: Option<String>,
    #[serde(default)]
    pub handler: Vec<RawBrokerHandler>,
}

/// `[[broker.handler]]`: a service backed by Mongrel2-style handlers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBrokerHandler {
    pub service: String,
    pub send_spec: String,
    pub recv_spec: String,
    pub recv_ident: Option<String>,
    pub max_outstanding: u64,
}

/// A size written as a TOML integer (`4096`) or a string (`"16KiB"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawSize {
    Bytes(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeVisitor)
    }
}

/// Accepts the two spellings of a size.
struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = RawSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte count such as 4096 or \"16KiB\"")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawSize, E> {
        Ok(RawSize::Bytes(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawSize, E> {
        u64::try_from(value)
            .map(RawSize::Bytes)
            .map_err(|_| E::custom("a size must not be negative"))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<RawSize, E> {
        Ok(RawSize::Text(value.to_owned()))
    }
}
