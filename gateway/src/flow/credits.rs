//! Credits both ways: download-credits notices to the handler ([`Notifier`], Mongrel2's
//! `download.flow_control`) and upload credits granted by the handler ([`UploadCredits`],
//! `upload.stream`'s `X ctl credits`).

use std::sync::Mutex;
use std::time::Duration;

use mongrel2_compat::request::{self, Protocol};
use tokio::sync::Notify;

use crate::target::handler;

/// The `DOWNLOAD_CREDITS` value every request carries with download credits on: the bytes a
/// handler may write before waiting for notices (Mongrel2's constant).
pub const INITIAL_DOWNLOAD_CREDITS: u64 = 102_400;

/// The `DOWNLOAD_CREDITS` header value, as text.
pub const INITIAL_DOWNLOAD_CREDITS_TEXT: &str = "102400";

/// Sends the handler of one connection a credits notice per message written to its client.
#[derive(Debug, Clone)]
pub struct Notifier {
    handle: handler::Handle,
    conn_id: u64,
}

impl Notifier {
    /// Notices for `conn_id` go to the handler target behind `handle`.
    pub fn new(handle: handler::Handle, conn_id: u64) -> Notifier {
        Notifier { handle, conn_id }
    }

    /// Queues the notice `{"METHOD":"JSON","DOWNLOAD_CREDITS":"<bytes>"}`; never waits (called
    /// from drop paths). A full target queue drops the notice, with a log line.
    pub fn credits(&self, bytes: u64) {
        let mut frame = Vec::new();
        let settings = &self.handle.settings;
        let protocol: Protocol = settings.protocol;
        request::encode_credits(
            settings.send_ident.as_bytes(),
            self.conn_id,
            protocol,
            bytes,
            &mut frame,
        );
        if !self.handle.notify(frame) {
            tracing::warn!(
                conn_id = self.conn_id,
                "credits notice dropped: target queue full"
            );
        }
    }
}

/// Credits a handler granted a streamed upload, consumed per byte sent; may go negative, as in
/// Mongrel2 (a chunk larger than the credits left is still sent whole).
#[derive(Debug, Default)]
pub struct UploadCredits {
    balance: Mutex<i64>,
    granted: Notify,
}

impl UploadCredits {
    /// Adds `credits` (from `X ctl credits`), saturating.
    pub fn grant(&self, credits: u64) {
        let add = i64::try_from(credits).unwrap_or(i64::MAX);
        let mut balance = self.lock();
        *balance = balance.saturating_add(add);
        drop(balance);
        self.granted.notify_one();
    }

    /// Credits left (negative after an oversized chunk).
    pub fn balance(&self) -> i64 {
        *self.lock()
    }

    /// Consumes `bytes` credits.
    pub fn spend(&self, bytes: u64) {
        let spend = i64::try_from(bytes).unwrap_or(i64::MAX);
        let mut balance = self.lock();
        *balance = balance.saturating_sub(spend);
    }

    /// Waits until the balance is positive and returns it; `None` after `idle` without credits.
    /// Cancel-safe.
    pub async fn wait(&self, idle: Duration) -> Option<u64> {
        let deadline = tokio::time::Instant::now() + idle;
        loop {
            let granted = self.granted.notified();
            let balance = self.balance();
            if balance > 0 {
                return u64::try_from(balance).ok();
            }
            if tokio::time::timeout_at(deadline, granted).await.is_err() {
                return None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, i64> {
        // Never held across an await or a call that can panic.
        self.balance.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiting_ends_when_credits_arrive() {
        let credits = std::sync::Arc::new(UploadCredits::default());
        let granter = credits.clone();
        let waiter = tokio::spawn(async move { credits.wait(Duration::from_secs(5)).await });
        tokio::task::yield_now().await;
        granter.grant(1500);
        assert_eq!(waiter.await.unwrap(), Some(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_gives_up_after_the_idle_deadline() {
        let credits = UploadCredits::default();
        assert_eq!(credits.wait(Duration::from_secs(5)).await, None);
    }

    #[test]
    fn spending_past_zero_goes_negative_and_grants_refill() {
        let credits = UploadCredits::default();
        credits.grant(100);
        credits.spend(150);
        assert_eq!(credits.balance(), -50);
        credits.grant(100);
        assert_eq!(credits.balance(), 50);
    }
}
