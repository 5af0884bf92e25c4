//! Every default and every cap of the configuration, named in one place so docs/config.md can list
//! them and validation can quote them in errors. Caps reject typos (`max_body_bytes = "10TiB"`) and
//! keep the per-request work of the router and the per-connection work of the server bounded.

use std::time::Duration;

/// Largest config file `Config::load` reads; real configs are a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Longest duration any setting accepts (one day): longer deadlines are typos, and keeping them
/// small keeps `Instant + Duration` arithmetic far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Most tokio worker threads (`gateway.worker_threads`).
pub const MAX_WORKER_THREADS: u64 = 1024;

/// Most listeners.
pub const MAX_LISTENERS: usize = 64;

/// Most `gateway.trusted_proxies` entries; each connection from a proxy is checked against all.
pub const MAX_TRUSTED_PROXIES: usize = 1024;

/// Most hosts; the router scans them per request.
pub const MAX_HOSTS: usize = 1024;

/// Most routes in one host; the router scans them per request.
pub const MAX_ROUTES_PER_HOST: usize = 1024;

/// Most targets.
pub const MAX_TARGETS: usize = 1024;

/// Largest `listener.max_connections`.
pub const MAX_CONNECTIONS: u64 = 1_000_000;

/// Largest `listener.max_header_bytes` (1 MiB).
pub const MAX_HEADER_BYTES: u64 = 1024 * 1024;

/// Largest `listener.max_headers`: Mongrel2's header table size (`limits.header_count`).
pub const MAX_HEADERS: u64 = 1280;

/// Largest `max_body_bytes` (64 GiB); bigger uploads belong in object storage.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// Largest `inline_body_bytes` (64 MiB): an inline body is held in memory and sent to the handler
/// as one ZeroMQ message.
pub const MAX_INLINE_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Longest sender id / `send_ident` / `recv_ident` in bytes.
pub const MAX_IDENT_BYTES: usize = 128;

/// Longest target name in bytes; names appear in logs and metric labels.
pub const MAX_TARGET_NAME_BYTES: usize = 64;

/// Longest service name in bytes: the worker protocol's limit (docs/worker-protocol.md), so a name
/// the config accepts is one workers can announce.
pub const MAX_SERVICE_NAME_BYTES: usize = scale0_broker::protocol::MAX_SERVICE_NAME_LEN;

/// Longest host `name`/`matching` in bytes: Mongrel2's `limits.host_name`.
pub const MAX_HOST_NAME_BYTES: usize = 256;

/// Longest route `path` in bytes (its pattern part is also capped by
/// [`MAX_PATTERN_BYTES`](crate::routing::pattern::MAX_PATTERN_BYTES)).
pub const MAX_ROUTE_PATH_BYTES: usize = 1024;

/// Longest ZeroMQ endpoint string in bytes.
pub const MAX_ENDPOINT_BYTES: usize = 256;

/// Longest `ipc://` path in bytes: a Unix socket path must fit `sun_path` (108 bytes with its NUL).
pub const MAX_IPC_PATH_BYTES: usize = 107;

/// Longest string value of other kinds (paths, URLs, content types) in bytes.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Default `gateway.shutdown_grace`: how long in-flight requests may finish after a stop signal.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Default `listener.max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: u64 = 10_000;

/// Default `listener.header_read_timeout`: time a client has to send a complete request head.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Default `listener.keepalive_timeout`: how long an idle keep-alive connection stays open.
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(75);

/// Default `listener.send_timeout`: how long a write to a client may stay blocked (the
/// client reads nothing) before the connection is dropped, as nginx's `send_timeout`.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// Default `listener.max_header_bytes` (16 KiB).
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 16 * 1024;

/// Default `listener.max_headers`.
pub const DEFAULT_MAX_HEADERS: u64 = 100;

/// Default `reply_timeout`: time from sending a request to receiving the reply head.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Default `idle_timeout`: longest silence between two chunks of a reply body.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Default `max_body_bytes` (10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// Default `inline_body_bytes`: Mongrel2's `limits.content_length`.
pub const DEFAULT_INLINE_BODY_BYTES: u64 = 20480;

/// Default `retry_after`: the `Retry-After` of a 503.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Default `index_file` of a `dir` target.
pub const DEFAULT_INDEX_FILE: &str = "index.html";

/// Default `default_ctype` of a `dir` target.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain";

/// Most `[mimetypes]` entries (Mongrel2's own table has about 1000).
pub const MAX_MIMETYPES: usize = 4096;

/// Longest `[mimetypes]` extension in bytes: Mongrel2's `limits.mime_ext_len`.
pub const MAX_MIME_EXT_BYTES: usize = 128;

/// Default `connect_timeout` of a `proxy` target: how long a TCP connect to the upstream may take.
pub const DEFAULT_PROXY_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default `max_idle_per_host` of a `proxy` target: idle keep-alive connections kept to the upstream.
pub const DEFAULT_PROXY_MAX_IDLE_PER_HOST: u64 = 32;
/// Largest `max_idle_per_host` of a `proxy` target.
pub const MAX_PROXY_MAX_IDLE_PER_HOST: u64 = 4096;
/// Default `pool_idle_timeout` of a `proxy` target: an idle upstream connection is closed after it.
pub const DEFAULT_PROXY_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Default `[broker] heartbeat_interval`.
pub const DEFAULT_BROKER_HEARTBEAT: Duration = Duration::from_secs(1);
/// Default `[broker] liveness` (intervals of silence before a peer is dead).
pub const DEFAULT_BROKER_LIVENESS: u64 = 3;
/// Largest `[broker] liveness`.
pub const MAX_BROKER_LIVENESS: u64 = 100;
/// Default `[broker] max_queue` (requests waiting per service).
pub const DEFAULT_BROKER_MAX_QUEUE: u64 = 1000;
/// Largest `[broker] max_queue`.
pub const MAX_BROKER_MAX_QUEUE: u64 = 1_000_000;
/// Largest `[[broker.handler]] max_outstanding`.
pub const MAX_BROKER_HANDLER_OUTSTANDING: u64 = 65_536;

/// Default `websocket_max_frame_bytes`: largest frame payload a WebSocket client may send (1 MiB).
/// Mongrel2 has no cap (its read buffer grows to the frame's size).
pub const DEFAULT_WEBSOCKET_MAX_FRAME_BYTES: u64 = 1024 * 1024;
/// Default `websocket_max_message_bytes`: largest reassembled WebSocket message (1 MiB); each
/// message travels to the handler as one ZeroMQ message.
pub const DEFAULT_WEBSOCKET_MAX_MESSAGE_BYTES: u64 = 1024 * 1024;
/// Largest `websocket_max_frame_bytes` and `websocket_max_message_bytes` (64 MiB, as
/// [`MAX_INLINE_BODY_BYTES`]: a message is held in memory and sent as one ZeroMQ message).
pub const MAX_WEBSOCKET_MESSAGE_BYTES: u64 = 64 * 1024 * 1024;
/// Default `websocket_idle_timeout`: a WebSocket (or JSON/XML socket) silent both ways this long
/// is closed; Mongrel2's reaper closes after `limits.min_ping` (120 s) without a client message.
pub const DEFAULT_WEBSOCKET_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest `temp_store` template in bytes (a path).
pub const MAX_TEMP_STORE_BYTES: usize = 1024;
/// The suffix a `temp_store` template must end with, replaced by random characters (`mkstemp`).
pub const TEMP_STORE_SUFFIX: &str = "XXXXXX";
/// Default `temp_store_mode`: Mongrel2 1.12's `0600` (its docs say 0666; the code says 0600).
pub const DEFAULT_TEMP_STORE_MODE: u32 = 0o600;
/// Default `max_output_bytes`: bytes of reply waiting for one client connection before it counts
/// as slow (Mongrel2 allows 16 messages, or 100 KiB with `download.flow_control`).
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 102_400;
/// Largest `max_output_bytes` (64 MiB, the largest reply message a handler may send).
pub const MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;
